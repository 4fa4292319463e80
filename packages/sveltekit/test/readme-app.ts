/**
 * The README's quick start as pasted: its files written into a fresh SvelteKit app under
 * `.tmp/readme-app`, with what `npx sv create` adds besides (the page shell, a page, Vite's
 * config) and `@tessera/sveltekit` installed as this package, built.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** The files of the quick start, in README order: each js block that starts with `// <path>`. */
export const QUICK_START_FILES = [
  "svelte.config.js",
  "src/hooks.server.js",
  "src/routes/login/+server.js",
  "src/routes/me/+server.js",
  "src/routes/account/+page.server.js",
];

/** Writes the README's app; resolves its directory. Throws when the README lost a file. */
export function writeReadmeApp(): string {
  if (!existsSync(join(packageDir, "dist/index.js"))) {
    throw new Error("build @tessera/sveltekit first (its README app imports the built package)");
  }
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## API"));
  const files = new Map<string, string>();
  for (const [, code] of section.matchAll(/```js\n([\s\S]*?)```/g)) {
    const path = /^\/\/ (\S+)\n/.exec(code!)?.[1];
    if (path) files.set(path, code!);
  }
  if (JSON.stringify([...files.keys()]) !== JSON.stringify(QUICK_START_FILES)) {
    throw new Error(`the README's quick start has files ${[...files.keys()].join(", ")}`);
  }
  files.set(
    "src/app.html",
    "<!doctype html><html><head>%sveltekit.head%</head><body>%sveltekit.body%</body></html>",
  );
  files.set(
    "src/routes/account/+page.svelte",
    "<script>let { data } = $props();</script><p>{data.user}</p>",
  );
  files.set(
    "vite.config.js",
    'import { sveltekit } from "@sveltejs/kit/vite";\nexport default { plugins: [sveltekit()], logLevel: "warn" };\n',
  );
  files.set("package.json", '{ "private": true, "type": "module" }\n');

  const appDir = join(packageDir, ".tmp/readme-app");
  rmSync(appDir, { recursive: true, force: true });
  for (const [path, code] of files) {
    mkdirSync(dirname(join(appDir, path)), { recursive: true });
    writeFileSync(join(appDir, path), code);
  }
  mkdirSync(join(appDir, "node_modules/@tessera"), { recursive: true });
  symlinkSync(packageDir, join(appDir, "node_modules/@tessera/sveltekit"), "dir");
  return appDir;
}
