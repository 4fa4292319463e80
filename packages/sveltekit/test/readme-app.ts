/**
 * The README's quick start as pasted, as an app under `.tmp/readme-app`, with what
 * `npx sv create` adds besides (the page shell, the account page's markup, Vite's config).
 */
import { fileURLToPath } from "node:url";
import { writeQuickStartApp } from "@tessera/test-kit";

export function writeReadmeApp(): string {
  return writeQuickStartApp(fileURLToPath(new URL("..", import.meta.url)), {
    files: [
      "svelte.config.js",
      "src/hooks.server.js",
      "src/routes/login/+server.js",
      "src/routes/me/+server.js",
      "src/routes/account/+page.server.js",
    ],
    extra: {
      "src/app.html":
        "<!doctype html><html><head>%sveltekit.head%</head><body>%sveltekit.body%</body></html>",
      "src/routes/account/+page.svelte":
        "<script>let { data } = $props();</script><p>{data.user}</p>",
      "vite.config.js":
        'import { sveltekit } from "@sveltejs/kit/vite";\nexport default { plugins: [sveltekit()], logLevel: "warn" };\n',
    },
  });
}
