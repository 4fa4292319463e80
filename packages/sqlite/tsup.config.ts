import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.config.base";

// Splitting keeps one copy of what both entries share (the table definition and its SQL) in a common chunk.
export default defineConfig(
  packageBuild({ index: "src/index.ts", setup: "src/setup.ts" }, { splitting: true }),
);
