import { defineConfig } from "vitest/config";

// The assertions here are types: `tsc -p tsconfig.json` (the typecheck task) is what fails on a
// regression; vitest also runs them so they count among the suites.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    typecheck: { enabled: true, tsconfig: "./tsconfig.json" },
  },
});
