import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Installing the tarballs is one npm install; PGlite's initdb takes seconds of CPU.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
