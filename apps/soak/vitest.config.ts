import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CI soak runs for 60 seconds, plus starting and stopping every store.
    testTimeout: 240_000,
  },
});
