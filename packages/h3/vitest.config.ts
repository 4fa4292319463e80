import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 15_000,
    // One `nuxi build` of test/nuxt-app per run (about 40 s on two cores), for nuxt.test.ts.
    globalSetup: ["test/nuxt-build.ts"],
    hookTimeout: 60_000,
  },
});
