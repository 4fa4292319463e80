import { defineConfig } from "tsup";

// An app, not a library: ESM entries (the server, the admin command), no type declarations.
export default defineConfig({
  entry: { main: "src/main.ts", admin: "src/admin.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
});
