import { fileURLToPath } from "node:url";
import { defineNuxtConfig } from "nuxt/config";

/**
 * The reference app of @tessera/test-kit on Nuxt: server middleware and routes only (one page,
 * so the build is a real Nuxt build). `@tessera/h3` resolves to this package's source.
 */
export default defineNuxtConfig({
  compatibilityDate: "2025-07-15",
  devtools: { enabled: false },
  telemetry: false,
  alias: { "@tessera/h3": fileURLToPath(new URL("../../src/index.ts", import.meta.url)) },
});
