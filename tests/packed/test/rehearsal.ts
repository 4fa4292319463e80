/**
 * The release as the workflow runs it, against a throwaway registry: a scratch copy of the
 * workspace (its published packages as built, every other workspace package's manifest, the
 * changesets) becomes a git repository of its own; there `changeset version` and `changeset
 * publish` run as in `.github/workflows/release.yml` (publish calls `pnpm publish`), with npm's
 * configuration pointing at the Verdaccio of registry.ts only. Nothing is read from or written to
 * the user's npm configuration or caches: HOME is a temp dir.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import type { PublishedManifest } from "./manifest.js";
import type { Registry } from "./registry.js";
import { published, root } from "./scratch.js";

const require = createRequire(import.meta.url);
export const pnpmSpec: string = JSON.parse(
  readFileSync(join(root, "package.json"), "utf8"),
).packageManager;

/** The workspace folders (pnpm-workspace.yaml). */
const GROUPS = ["packages", "tooling", "tests", "apps", "examples"];
/** Never copied: installs, build caches, test output. */
const SKIP = new Set(["node_modules", ".turbo", ".tmp", ".vitest-attachments"]);
const DEPENDENCY_FIELDS = [
  "dependencies",
  "devDependencies",
  "peerDependencies",
  "optionalDependencies",
] as const;

/**
 * Runs a command to its end; resolves its output, rejects with it on a non-zero exit or when it
 * runs longer than `timeout` ms (then it is killed, so nothing is left running).
 */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number },
): Promise<string> {
  const { timeout = 120_000, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    // A process group of its own: a timeout ends the command and everything it started.
    const child = spawn(command, args, {
      ...spawnOptions,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} ran over ${timeout} ms:\n${output}`));
    }, timeout);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output}`));
    });
  });
}

/**
 * The environment of every command of the rehearsal: PATH (with `bin` first), a temp HOME whose
 * .npmrc names only the rehearsal registry, and nothing else of this process's environment (no
 * token, no registry, no provenance setting leaks in).
 */
export function isolatedEnv(home: string, bin: string, extra: NodeJS.ProcessEnv = {}) {
  return {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    HOME: home,
    npm_config_userconfig: join(home, ".npmrc"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    ...extra,
  };
}

/** An npm config file naming the registry (for `@tessera/*`, or for everything) and its token. */
export function npmrc(registry: Registry, scopeOnly: boolean): string {
  return [
    scopeOnly ? "" : `registry=${registry.url}`,
    `@tessera:registry=${registry.url}`,
    `${registry.nerf}:_authToken=${registry.token}`,
    "",
  ]
    .filter((line, i, all) => line !== "" || i === all.length - 1)
    .join("\n");
}

/**
 * A `pnpm` command on PATH for `changeset publish` (which calls `pnpm publish`): a shim that runs
 * the pnpm the repository pins, as `npx` fetched it for the test driver.
 */
export function pnpmShim(bin: string): string {
  const path = execFileSync(
    "npm",
    ["exec", "--yes", `--package=${pnpmSpec}`, "-c", "command -v pnpm"],
    { cwd: bin, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } },
  ).trim();
  writeFileSync(join(bin, "pnpm"), `#!/bin/sh\nexec ${JSON.stringify(path)} "$@"\n`, {
    mode: 0o755,
  });
  return path;
}

/**
 * Copies the workspace to `dest` as the release job sees it after `turbo run build`: the
 * published packages whole (dist included, node_modules excluded), every other workspace
 * package's manifest (changesets' config names them), the root manifest, LICENSE and
 * `.changeset/`. Each `workspace:` dependency is linked in the package's node_modules to the
 * copy, which is what `pnpm publish` reads to replace the range.
 */
export function copyWorkspace(dest: string): void {
  for (const { dir } of published()) {
    if (!existsSync(join(root, "packages", dir, "dist"))) {
      throw new Error(`packages/${dir}/dist is missing: build the packages first`);
    }
  }
  for (const file of ["package.json", "pnpm-workspace.yaml", "LICENSE", "README.md"]) {
    cpSync(join(root, file), join(dest, file));
  }
  cpSync(join(root, ".changeset"), join(dest, ".changeset"), { recursive: true });
  const publishedDirs = new Set(published().map(({ dir }) => dir));
  const byName = new Map<string, string>();
  for (const group of GROUPS) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group))) {
      const source = join(root, group, name);
      if (!existsSync(join(source, "package.json"))) continue;
      const target = join(dest, group, name);
      if (group === "packages" && publishedDirs.has(name)) {
        cpSync(source, target, {
          recursive: true,
          filter: (path) => !SKIP.has(path.slice(path.lastIndexOf("/") + 1)),
        });
      } else {
        mkdirSync(target, { recursive: true });
        cpSync(join(source, "package.json"), join(target, "package.json"));
      }
      byName.set(JSON.parse(readFileSync(join(source, "package.json"), "utf8")).name, target);
    }
  }
  for (const target of byName.values()) {
    const manifest = JSON.parse(readFileSync(join(target, "package.json"), "utf8"));
    for (const field of DEPENDENCY_FIELDS) {
      for (const [name, range] of Object.entries<string>(manifest[field] ?? {})) {
        const linked = byName.get(name);
        if (!range.startsWith("workspace:") || !linked) continue;
        const link = join(target, "node_modules", name);
        if (existsSync(link)) continue;
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(relative(dirname(link), linked), link);
      }
    }
  }
}

/** `git init` and one commit of everything: changesets reads each changeset's commit from git. */
export async function commitAll(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  writeFileSync(join(dir, ".gitignore"), "node_modules\n");
  await run("git", ["init", "-q", "-b", "main"], { cwd: dir, env });
  await run("git", ["add", "-A"], { cwd: dir, env });
  await run("git", ["commit", "-q", "--no-gpg-sign", "-m", "release rehearsal"], {
    cwd: dir,
    env,
  });
}

/** Runs the repository's `changeset` CLI in `dir`. */
export function changeset(
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv,
  timeout?: number,
): Promise<string> {
  const pkgFile = require.resolve("@changesets/cli/package.json", { paths: [root] });
  const { bin } = JSON.parse(readFileSync(pkgFile, "utf8"));
  const script = join(dirname(pkgFile), typeof bin === "string" ? bin : bin.changeset);
  return run(process.execPath, [script, ...args], { cwd: dir, env, timeout });
}

/** One package as the registry serves it. */
export interface Fetched {
  /** The packument's `dist-tags`. */
  distTags: Record<string, string>;
  /** The version's `dist.integrity`. */
  integrity: string;
  /** The tarball's package.json. */
  manifest: PublishedManifest;
  /** Every file of the tarball, relative to the package root, with its size in bytes. */
  files: { path: string; size: number }[];
}

function listFiles(dir: string, prefix = ""): { path: string; size: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full, path) : [{ path, size: statSync(full).size }];
  });
}

/** Fetches `name@version` from the registry and unpacks its tarball under `dir`. */
export async function fetchPublished(
  registry: Registry,
  name: string,
  version: string,
  dir: string,
): Promise<Fetched> {
  const response = await fetch(`${registry.url}${name.replace("/", "%2f")}`, {
    headers: { accept: "application/json" },
  });
  if (!response.ok) throw new Error(`${name}: the registry answered ${response.status}`);
  const packument = (await response.json()) as {
    "dist-tags": Record<string, string>;
    versions: Record<string, { dist: { tarball: string; integrity: string } }>;
  };
  const entry = packument.versions[version];
  if (!entry) throw new Error(`${name}@${version} is not on the registry`);
  const tarball = Buffer.from(await (await fetch(entry.dist.tarball)).arrayBuffer());
  const target = join(dir, name.replace("/", "+"));
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, "package.tgz"), tarball);
  execFileSync("tar", ["-xzf", "package.tgz"], { cwd: target });
  const unpacked = join(target, "package");
  return {
    distTags: packument["dist-tags"],
    integrity: entry.dist.integrity,
    manifest: JSON.parse(readFileSync(join(unpacked, "package.json"), "utf8")),
    files: listFiles(unpacked).sort((a, b) => a.path.localeCompare(b.path)),
  };
}
