import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.config.base";

// Splitting keeps one copy of what the entries share (errors, session views) in a common chunk.
export default defineConfig(
  packageBuild(
    { index: "src/index.ts", http: "src/http/index.ts", store: "src/store/index.ts" },
    { splitting: true },
  ),
);
