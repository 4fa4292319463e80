import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.config.base";

// `cloudflare:workers` is provided by the Workers runtime (workerd), never bundled.
export default defineConfig(
  packageBuild({ index: "src/index.ts" }, { external: ["cloudflare:workers"] }),
);
