import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Creates one PostgreSQL schema for the whole run and drops it at the end.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
