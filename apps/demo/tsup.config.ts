import { defineConfig } from "tsup";

// An app, not a library: one ESM entry, no type declarations.
export default defineConfig({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
});
