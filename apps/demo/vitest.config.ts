import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Browser tests drive one shared demo server; run the files one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
