import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.config.base";

// `doubles` imports no test runner, so an app under test can load it; the suites need vitest.
export default defineConfig(
  packageBuild(
    { index: "src/index.ts", doubles: "src/doubles.ts" },
    { external: ["vitest"], splitting: true },
  ),
);
