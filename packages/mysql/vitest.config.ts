import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Starts MariaDB if it is installed but stopped, and creates one database for the whole run.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
