import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/dynalite.setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
