/**
 * A publish rehearsal on a real registry: Verdaccio on a loopback port, a scratch copy of the
 * workspace where `changeset version` and `changeset publish` run as the release workflow runs
 * them, then scratch apps outside the workspace that install @tessera/* from that registry with
 * npm, pnpm, yarn and bun and run the README examples under Node. Each published manifest and
 * tarball is checked (manifest.ts). Verdaccio is stopped by its PID; everything lives in one temp
 * dir, removed at the end.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "@tessera/test-kit";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { manifestProblems } from "./manifest.js";
import { runScript, startServer } from "./processes.js";
import { type Registry, startRegistry } from "./registry.js";
import {
  changeset,
  commitAll,
  copyWorkspace,
  type Fetched,
  fetchPublished,
  isolatedEnv,
  npmrc,
  pnpmShim,
  run,
} from "./rehearsal.js";
import { copiesOf, published, readmeExample, root, workspaceVersion } from "./scratch.js";

const require = createRequire(import.meta.url);
/** The yarn the rehearsal installs with (classic, the `yarn` package on npm), through npx. */
const YARN = "yarn@1.22.22";
const packages = published();
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

let tmp: string;
let registry: Registry | undefined;
let version: string;
let pnpmPath: string;
const fetched = new Map<string, Fetched>();
const installs = new Map<string, { app: string; lockfile: string } | Error>();

/** The bun binary of the `bun` package on npm (a devDependency of this app). */
function bunPath(): string {
  const pkgFile = require.resolve("bun/package.json");
  return join(dirname(pkgFile), JSON.parse(readFileSync(pkgFile, "utf8")).bin.bun);
}

/** What each package manager runs in a scratch app, with its own caches under `home`. */
function installers(home: string): Record<string, { command: string; args: string[] }> {
  return {
    npm: { command: "npm", args: ["install", "--loglevel=error"] },
    pnpm: {
      command: pnpmPath,
      args: ["install", "--no-frozen-lockfile", "--store-dir", join(home, "pnpm-store")],
    },
    yarn: {
      command: "npx",
      args: ["--yes", YARN, "install", "--non-interactive", "--cache-folder", join(home, "yarn")],
    },
    bun: { command: bunPath(), args: ["install", "--no-progress"] },
  };
}
const LOCKFILES: Record<string, string> = {
  npm: "package-lock.json",
  pnpm: "pnpm-lock.yaml",
  yarn: "yarn.lock",
  bun: "bun.lock",
};

const started = Date.now();
/** One line per step of the rehearsal, with the seconds since it started. */
function step(what: string): void {
  console.log(`[publish rehearsal +${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "tessera-publish-"));
  const bin = join(tmp, "bin");
  const home = join(tmp, "home");
  for (const dir of [bin, home, join(tmp, "registry"), join(tmp, "repo"), join(tmp, "fetched")]) {
    mkdirSync(dir);
  }
  pnpmPath = pnpmShim(bin);
  registry = await startRegistry(join(tmp, "registry"));
  step(`verdaccio (pid ${registry.pid}) at ${registry.url}`);
  writeFileSync(join(home, ".npmrc"), npmrc(registry, false));
  const env = isolatedEnv(home, bin, {
    // changesets picks the registry from the environment, not from .npmrc: without these it
    // would ask (and publish to) the public registry.
    npm_config_registry: registry.url,
    "npm_config_@tessera:registry": registry.url,
    // The release workflow sets NPM_CONFIG_PROVENANCE on GitHub Actions, whose OIDC token signs
    // the statement; off here, where there is none (the fields it checks are asserted below).
    npm_config_provenance: "false",
    GIT_AUTHOR_NAME: "rehearsal",
    GIT_AUTHOR_EMAIL: "rehearsal@example.invalid",
    GIT_COMMITTER_NAME: "rehearsal",
    GIT_COMMITTER_EMAIL: "rehearsal@example.invalid",
  });
  const repo = join(tmp, "repo");
  copyWorkspace(repo);
  await commitAll(repo, env);
  step("scratch copy of the workspace committed");
  await changeset(["version"], repo, env);
  version = JSON.parse(readFileSync(join(repo, "packages/core/package.json"), "utf8")).version;
  step(`changeset version: ${version}`);
  await changeset(["publish"], repo, env, 400_000);
  step("changeset publish");
  for (const { name } of packages) {
    fetched.set(name, await fetchPublished(registry, name, version, join(tmp, "fetched")));
  }
  const core = fetched.get("@tessera/core")!;
  console.log(
    `\nThe files of @tessera/core@${version} as published (the tarball from the rehearsal registry):\n${core.files
      .map(({ path, size }) => `  ${String(size).padStart(7)}  ${path}`)
      .join("\n")}\n`,
  );

  // One scratch app per package manager, outside the workspace, @tessera/* from the registry.
  const dependencies = {
    "@tessera/core": version,
    "@tessera/express": version,
    "@tessera/hono": version,
    "@tessera/redis": version,
    express: workspaceVersion("express", "express"),
    hono: workspaceVersion("hono", "hono"),
    "@hono/node-server": workspaceVersion("hono", "@hono/node-server"),
  };
  await Promise.all(
    Object.entries(installers(join(tmp, "caches"))).map(async ([manager, { command, args }]) => {
      const app = join(tmp, "apps", manager);
      const appHome = join(tmp, "homes", manager);
      mkdirSync(app, { recursive: true });
      mkdirSync(appHome, { recursive: true });
      writeFileSync(
        join(app, "package.json"),
        `${JSON.stringify({ name: `rehearsal-${manager}`, private: true, dependencies }, null, 2)}\n`,
      );
      // What an app writes to take one scope from another registry.
      writeFileSync(join(app, ".npmrc"), npmrc(registry!, true));
      writeFileSync(
        join(app, "bunfig.toml"),
        `[install.scopes]\n"@tessera" = ${JSON.stringify(registry!.url)}\n`,
      );
      try {
        await run(command, args, {
          cwd: app,
          env: isolatedEnv(appHome, bin, { BUN_INSTALL_CACHE_DIR: join(appHome, "bun") }),
        });
        step(`installed with ${manager}`);
        installs.set(manager, {
          app,
          lockfile: readFileSync(join(app, LOCKFILES[manager]!), "utf8"),
        });
      } catch (error) {
        installs.set(manager, error as Error);
      }
    }),
  );
  // A few minutes on a machine shared with other work: every step has its own timeout.
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  // TESSERA_KEEP_REHEARSAL=1 keeps the scratch repository, apps and registry storage to look at.
  if (tmp && !process.env.TESSERA_KEEP_REHEARSAL) rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`kept ${tmp}`);
});

describe("changeset version, then changeset publish to the registry", () => {
  it("publish every published package at one new version, tagged latest", () => {
    const before = packages[0]!.manifest.version;
    expect(semver.gt(version, before), `${version} > ${before}`).toBe(true);
    expect([...fetched.keys()].sort()).toEqual(packages.map(({ name }) => name).sort());
    for (const [name, { distTags }] of fetched) expect(distTags, name).toEqual({ latest: version });
  });

  it.each(packages.map(({ dir, name }) => [name, dir]))(
    "%s: the manifest and tarball as published pass every check",
    (name, dir) => {
      const { manifest, files } = fetched.get(name)!;
      const source = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
      const problems = manifestProblems(
        manifest,
        files.map(({ path }) => path),
        {
          dir,
          version,
          peerDependencies: source.peerDependencies ?? {},
          repositoryUrl: rootManifest.repository.url,
        },
      );
      expect(problems).toEqual([]);
    },
  );
});

describe.each(["npm", "pnpm", "yarn", "bun"])("installed with %s from the registry", (manager) => {
  function app(): string {
    const install = installs.get(manager);
    if (install instanceof Error || !install) throw install ?? new Error("not installed");
    return install.app;
  }

  it("installs the tarballs the registry holds, at the released version", () => {
    const install = installs.get(manager);
    if (install instanceof Error) throw install;
    for (const name of ["@tessera/core", "@tessera/express", "@tessera/hono", "@tessera/redis"]) {
      const installed = JSON.parse(
        readFileSync(join(app(), "node_modules", name, "package.json"), "utf8"),
      );
      expect(installed.version, name).toBe(version);
      // The lockfile records the integrity of the tarball the registry served.
      expect(install!.lockfile, name).toContain(fetched.get(name)!.integrity);
    }
  });

  it("@tessera/core: the quick start runs", async () => {
    const output = await runScript(app(), "core.mjs", readmeExample("core", "Quick start"));
    expect(output).toMatch(/^Set-Cookie: __Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; /m);
    expect(output).toContain("rotated: true");
    expect(output).toContain("replaying the old cookie: reused");
    expect(output).toContain("devices left: 0");
  });

  it.each(["express", "hono"])(
    "@tessera/%s: the quick start server logs in, shows the user, logs out everywhere",
    async (dir) => {
      const server = await startServer(app(), `${dir}.mjs`, readmeExample(dir, "Quick start"));
      onTestFinished(server.stop);
      const browser = new Client(server.url);
      const login = await browser.post("/login", { json: { user: "alice" } });
      expect(login.body).toEqual({ user: "alice" });
      expect(login.cookie("__Host-session")).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
      expect((await browser.get("/me")).body).toEqual({ user: "alice" });
      expect((await browser.post("/logout-everywhere")).body).toEqual({ ended: 1 });
      expect((await browser.get("/me")).status).toBe(401);
    },
  );

  it("@tessera/redis: imports as ESM and CommonJS without a driver installed", async () => {
    const output = await runScript(
      app(),
      "redis.mjs",
      [
        'import { createRequire } from "node:module";',
        'const esm = await import("@tessera/redis");',
        'const cjs = createRequire(import.meta.url)("@tessera/redis");',
        "console.log(JSON.stringify([Object.keys(esm).sort(), Object.keys(cjs).sort()]));",
      ].join("\n"),
    );
    const [esm, cjs] = JSON.parse(output) as string[][];
    expect(esm).toContain("RedisStore");
    expect(cjs).toEqual(esm!.filter((key) => key !== "default"));
  });

  it("holds one copy of @tessera/core", () => {
    if (manager === "pnpm") {
      // pnpm keeps each package once in node_modules/.pnpm and links it where it is used.
      const copies = readdirSync(join(app(), "node_modules", ".pnpm")).filter((entry) =>
        entry.startsWith("@tessera+core@"),
      );
      expect(copies).toEqual([`@tessera+core@${version}`]);
    } else {
      expect(copiesOf(app(), "@tessera/core")).toEqual([
        join(app(), "node_modules", "@tessera", "core"),
      ]);
    }
  });
});
