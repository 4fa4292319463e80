import { defineConfig } from "vitest/config";

// The start script builds the app first (`nuxt build`, about 40 s on two cores).
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 20_000, hookTimeout: 180_000 },
});
