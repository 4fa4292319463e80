/** The README's quick start as pasted, as an app under `.tmp/readme-app`. */
import { fileURLToPath } from "node:url";
import { writeQuickStartApp } from "@tessera/test-kit";

export function writeReadmeApp(): string {
  return writeQuickStartApp(fileURLToPath(new URL("..", import.meta.url)), {
    files: [
      "astro.config.mjs",
      "src/middleware.js",
      "src/pages/login.js",
      "src/pages/me.js",
      "src/pages/logout-everywhere.js",
    ],
    byLanguage: { astro: "src/pages/account.astro" },
  });
}
