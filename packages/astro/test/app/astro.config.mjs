import { fileURLToPath } from "node:url";
import node from "@astrojs/node";
import { defineConfig } from "astro/config";

/** The reference app of @tessera/test-kit on Astro, built with @astrojs/node (standalone). */
export default defineConfig({
  output: "server",
  adapter: node({ mode: "standalone" }),
  // Tessera's gate checks the origin of every unsafe request (see the README).
  security: { checkOrigin: false },
  logLevel: "warn",
  vite: {
    // The package under test, from its source (no build of the package needed).
    resolve: {
      alias: { "@tessera/astro": fileURLToPath(new URL("../../src/index.ts", import.meta.url)) },
    },
  },
});
