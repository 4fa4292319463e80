import { defineConfig } from "vitest/config";

// Only the package's own tests: a mutation run's sandbox (.stryker-tmp) holds copies of them.
export default defineConfig({ test: { include: ["test/**/*.test.ts"] } });
