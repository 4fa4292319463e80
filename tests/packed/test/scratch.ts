/**
 * A scratch app outside the workspace holding the @tessera packages as npm would install them
 * from the registry: `pnpm pack` of each published package (which turns `workspace:` ranges into
 * real ones and applies `files`), then one plain `npm install` of the tarballs in a directory under
 * the OS temp dir, where no pnpm symlink and no workspace package can be found by accident.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error: a plain .mjs script of the repository, typed by use
import { publishedPackages } from "../../../scripts/package-metadata.mjs";

export const root = fileURLToPath(new URL("../../../", import.meta.url));
const pnpmVersion: string = JSON.parse(
  readFileSync(join(root, "package.json"), "utf8"),
).packageManager;

export interface Published {
  /** `core`, `express`, ... */
  dir: string;
  /** `@tessera/core`, ... */
  name: string;
  /** The manifest as in the workspace. */
  manifest: { name: string; exports: Record<string, unknown>; version: string };
}

/** Every package under packages/ that is published (private ones are not). */
export function published(): Published[] {
  return (publishedPackages(root) as string[]).map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
    return { dir, name: manifest.name, manifest };
  });
}

/**
 * The version of `dependency` the workspace package `dir` resolves: the scratch app installs the
 * same versions the packages' own suites run against (and finds them in npm's cache).
 */
export function workspaceVersion(dir: string, dependency: string): string {
  const file = join(root, "packages", dir, "node_modules", dependency, "package.json");
  return JSON.parse(readFileSync(file, "utf8")).version;
}

export interface Scratch {
  dir: string;
  /** The tarball file of each package, by name. */
  tarballs: Map<string, string>;
  remove(): void;
}

/**
 * Packs every published package and installs the tarballs, plus `extra` registry packages
 * (`name@version`), into a new directory under the OS temp dir with plain npm.
 *
 * Peer dependencies are resolved as npm always does but not written to disk (`--omit=peer`): the
 * app lists the ones its examples import (a framework, a driver) as its own dependencies, the
 * way an application does. `next` (about 300 MB) and `vitest` are therefore not installed.
 */
export function createScratch(extra: string[]): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "tessera-packed-"));
  const tarballDir = join(dir, "tarballs");
  mkdirSync(tarballDir);
  const packages = published();
  const filters = packages.flatMap(({ name }) => ["--filter", name]);
  execFileSync(
    "npx",
    ["--yes", pnpmVersion, "-r", ...filters, "pack", "--pack-destination", tarballDir],
    { cwd: root, stdio: "pipe" },
  );
  const tarballs = new Map<string, string>();
  for (const file of readdirSync(tarballDir)) {
    const pkg = packages.find(
      ({ name, manifest }) =>
        file === `${name.replace("@", "").replace("/", "-")}-${manifest.version}.tgz`,
    );
    if (pkg) tarballs.set(pkg.name, join(tarballDir, file));
  }
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify({ name: "tessera-packed-scratch", private: true }, null, 2)}\n`,
  );
  execFileSync(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--omit=peer",
      "--loglevel=error",
      ...tarballs.values(),
      ...extra,
    ],
    { cwd: app, stdio: "pipe", env: { ...process.env, npm_config_update_notifier: "false" } },
  );
  return {
    dir: app,
    tarballs,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every directory under `node_modules` (nested ones included) holding package `name`. */
export function copiesOf(app: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith(".")) continue;
      const dirs = entry.startsWith("@")
        ? readdirSync(join(modules, entry)).map((sub) => join(modules, entry, sub))
        : [join(modules, entry)];
      for (const pkgDir of dirs) {
        try {
          if (JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).name === name) {
            found.push(pkgDir);
          }
        } catch {}
        walk(join(pkgDir, "node_modules"));
      }
    }
  };
  walk(join(app, "node_modules"));
  return found;
}

/** The first `js` block under the README heading `heading` of package `dir`. */
export function readmeExample(dir: string, heading: string): string {
  const readme = readFileSync(join(root, "packages", dir, "README.md"), "utf8");
  const example = new RegExp(`## ${heading}[\\s\\S]*?\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!example?.[1]) throw new Error(`packages/${dir}/README.md has no js block under ${heading}`);
  return example[1];
}

/**
 * The same program as CommonJS: each `import ... from "x"` becomes a `require("x")`, and the rest
 * runs in an async function (CommonJS has no top-level await). So the `require` condition of
 * every package's `exports` is what runs.
 */
export function toCommonJs(source: string): string {
  const requires: string[] = [];
  const body = source.replace(
    /^import\s+([\s\S]*?)\s+from\s+"([^"]+)";\n/gm,
    (_, clause: string, specifier: string) => {
      const from = `require(${JSON.stringify(specifier)})`;
      const named = /\{([\s\S]*)\}/.exec(clause)?.[1];
      const defaultName = /^([A-Za-z_$][\w$]*)\s*(,|$)/.exec(clause.trim())?.[1];
      const namespace = /\*\s+as\s+([A-Za-z_$][\w$]*)/.exec(clause)?.[1];
      if (namespace) requires.push(`const ${namespace} = ${from};`);
      if (defaultName) requires.push(`const ${defaultName} = ${from};`);
      if (named) {
        const fields = named
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean)
          .map((part) => part.replace(/^type\s+/, "").replace(/\s+as\s+/, ": "));
        requires.push(`const { ${fields.join(", ")} } = ${from};`);
      }
      return "";
    },
  );
  if (/^import\s/m.test(body)) throw new Error(`an import was left untranslated:\n${body}`);
  return `"use strict";\n${requires.join("\n")}\n(async () => {\n${body}\n})().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});\n`;
}
