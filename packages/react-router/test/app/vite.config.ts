import { fileURLToPath } from "node:url";
import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [reactRouter()],
  logLevel: "warn",
  // The package under test, from its source (no build of the package needed).
  resolve: {
    alias: {
      "@tessera/react-router": fileURLToPath(new URL("../../src/index.ts", import.meta.url)),
    },
  },
});
