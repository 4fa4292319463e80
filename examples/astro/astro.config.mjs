import node from "@astrojs/node";
import { defineConfig } from "astro/config";

export default defineConfig({
  output: "server",
  adapter: node({ mode: "standalone" }),
  // Tessera checks the origin of every unsafe request itself (see @tessera/astro's README).
  security: { checkOrigin: false },
  logLevel: "warn",
});
