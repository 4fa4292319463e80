/**
 * The packages as a user gets them: each README example runs against the tarballs installed
 * with plain npm in a scratch app under the OS temp dir, once as ESM (as pasted) and once
 * translated to CommonJS, and the app resolves exactly one copy of @tessera/core.
 */
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client, connectRedis, DbscBrowser, dropPrefix, uniquePrefix } from "@tessera/test-kit";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { runScript, startServer } from "./processes.js";
import {
  copiesOf,
  createScratch,
  published,
  readmeExample,
  type Scratch,
  toCommonJs,
  workspaceVersion,
} from "./scratch.js";

const require = createRequire(import.meta.url);
const dynalite = require("dynalite") as (options?: { createTableMs?: number }) => Server;

const redis = await connectRedis();
const mysqlUrl = process.env.MYSQL_URL || "mysql://root@127.0.0.1:3306";
const mariadb = await mysql
  .createConnection({ uri: mysqlUrl, connectTimeout: 2000 })
  .catch((cause: unknown) => {
    const message = `MySQL/MariaDB at ${mysqlUrl} is unreachable: @tessera/mysql's example needs it`;
    if (process.env.CI === "true") throw new Error(message, { cause });
    console.warn(`\n*** WARNING: ${message}; skipping it. ***\n`);
    return null;
  });

let scratch: Scratch;
beforeAll(() => {
  scratch = createScratch([
    `express@${workspaceVersion("express", "express")}`,
    `hono@${workspaceVersion("hono", "hono")}`,
    `@hono/node-server@${workspaceVersion("hono", "@hono/node-server")}`,
    `fastify@${workspaceVersion("fastify", "fastify")}`,
    `koa@${workspaceVersion("koa", "koa")}`,
    `h3@${workspaceVersion("h3", "h3")}`,
    `elysia@${workspaceVersion("elysia", "elysia")}`,
    `@elysiajs/node@${workspaceVersion("elysia", "@elysiajs/node")}`,
    `@sinclair/typebox@${workspaceVersion("elysia", "@sinclair/typebox")}`,
    `exact-mirror@${workspaceVersion("elysia", "exact-mirror")}`,
    `file-type@${workspaceVersion("elysia", "file-type")}`,
    `openapi-types@${workspaceVersion("elysia", "openapi-types")}`,
    `@koa/router@${workspaceVersion("koa", "@koa/router")}`,
    `@koa/bodyparser@${workspaceVersion("koa", "@koa/bodyparser")}`,
    `ioredis@${workspaceVersion("redis", "ioredis")}`,
    `drizzle-orm@${workspaceVersion("postgres", "drizzle-orm")}`,
    `@electric-sql/pglite@${workspaceVersion("postgres", "@electric-sql/pglite")}`,
    `mysql2@${workspaceVersion("mysql", "mysql2")}`,
    `@aws-sdk/client-dynamodb@${workspaceVersion("dynamodb", "@aws-sdk/client-dynamodb")}`,
    `@libsql/client@${workspaceVersion("sqlite", "@libsql/client")}`,
  ]);
});
afterAll(() => scratch?.remove());

const formats = [
  { ext: "mjs", translate: (source: string) => source },
  { ext: "cjs", translate: toCommonJs },
] as const;

/** Runs `check` for the example as pasted (ESM) and translated to CommonJS, side by side. */
function inBothFormats(check: (format: (typeof formats)[number]) => Promise<void>): Promise<void> {
  return Promise.all(formats.map(check)).then(() => undefined);
}

describe("the tarballs", () => {
  it("install every published package, each with its LICENSE and README", () => {
    expect([...scratch.tarballs.keys()].sort()).toEqual(
      published()
        .map(({ name }) => name)
        .sort(),
    );
    for (const { name } of published()) {
      const pkgDir = join(scratch.dir, "node_modules", name);
      const manifest = require(join(pkgDir, "package.json"));
      expect(manifest.license).toBe("MIT");
      expect(manifest.repository.directory).toMatch(/^packages\//);
      expect(() => require.resolve(join(pkgDir, "LICENSE"))).not.toThrow();
      expect(() => require.resolve(join(pkgDir, "README.md"))).not.toThrow();
    }
  });

  it("resolve one copy of @tessera/core, the same from every package", () => {
    const copies = copiesOf(scratch.dir, "@tessera/core");
    expect(copies).toEqual([join(scratch.dir, "node_modules", "@tessera", "core")]);
    const fromApp = createRequire(join(scratch.dir, "package.json")).resolve("@tessera/core");
    for (const { name } of published()) {
      const fromPackage = createRequire(
        join(scratch.dir, "node_modules", name, "package.json"),
      ).resolve("@tessera/core");
      expect(fromPackage, name).toBe(fromApp);
    }
  });

  it("load every entry whose peers the app has, under import and require", async () => {
    // Entries that need what this Node app does not have: a peer dependency an app installs only
    // when it uses it, or the Workers runtime (`cloudflare:` imports; tested inside workerd).
    const needsAbsentPeer: Record<string, string> = {
      "@tessera/cloudflare": "workerd",
      "@tessera/next": "next",
      "@tessera/next/server": "next",
      "@tessera/otel": "@opentelemetry/api",
      "@tessera/react-router": "react-router",
      "@tessera/store-test": "vitest",
      "@tessera/sveltekit": "@sveltejs/kit",
    };
    const specifiers = published()
      .flatMap(({ name, manifest }) =>
        Object.keys(manifest.exports)
          .filter((entry) => entry !== "./package.json")
          .map((entry) => (entry === "." ? name : `${name}/${entry.slice(2)}`)),
      )
      .filter((specifier) => !(specifier in needsAbsentPeer));
    const loader = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const specifiers = ${JSON.stringify(specifiers)};
      const loaded = [];
      for (const specifier of specifiers) {
        const esm = Object.keys(await import(specifier)).filter((key) => key !== "default");
        const cjs = Object.keys(require(specifier)).filter((key) => key !== "default");
        loaded.push([specifier, esm.sort().join(","), cjs.sort().join(",")]);
      }
      console.log(JSON.stringify(loaded));
    `;
    const loaded = JSON.parse(await runScript(scratch.dir, "load.mjs", loader)) as string[][];
    expect(loaded.map(([specifier]) => specifier)).toEqual(specifiers);
    for (const [specifier, esm, cjs] of loaded) {
      expect(esm, specifier).not.toBe("");
      // The same names under both conditions: one API whichever way an app loads it.
      expect(cjs, specifier).toBe(esm);
    }
  });

  it("resolve every entry of every exports map under import and require", async () => {
    const specifiers = published().flatMap(({ name, manifest }) =>
      Object.keys(manifest.exports)
        .filter((entry) => entry !== "./package.json")
        .map((entry) => (entry === "." ? name : `${name}/${entry.slice(2)}`)),
    );
    // Resolved from inside the app, by Node's own resolvers: `import` and `require` conditions.
    const resolver = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const specifiers = ${JSON.stringify(specifiers)};
      console.log(JSON.stringify(specifiers.map((s) => [import.meta.resolve(s), require.resolve(s)])));
    `;
    const resolved = JSON.parse(
      await runScript(scratch.dir, "resolve.mjs", resolver),
    ) as string[][];
    expect(resolved).toHaveLength(specifiers.length);
    for (const [esm, cjs] of resolved) {
      expect(esm).toMatch(/\/node_modules\/@tessera\/[a-z0-9-]+\/dist\/[a-z-]+\.js$/);
      expect(cjs).toMatch(/\/node_modules\/@tessera\/[a-z0-9-]+\/dist\/[a-z-]+\.cjs$/);
      expect(esm).toContain(scratch.dir);
    }
  });
});

describe("README examples from the tarballs, as ESM and as CommonJS", () => {
  it("@tessera/core: the quick start prints the cookie, the rotation and the theft", () =>
    inBothFormats(async ({ ext, translate }) => {
      const output = await runScript(
        scratch.dir,
        `core.${ext}`,
        translate(readmeExample("core", "Quick start")),
      );
      expect(output).toMatch(/^Set-Cookie: __Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; /m);
      expect(output).toContain("valid: true fresh: true");
      expect(output).toContain("rotated: true");
      expect(output).toContain("replaying the old cookie: reused");
      expect(output).toContain("devices left: 0");
    }));

  it.each(["express", "hono", "fastify", "koa", "h3", "elysia"])(
    "@tessera/%s: the quick start server logs in, shows the user, logs out everywhere",
    (dir) =>
      inBothFormats(async ({ ext, translate }) => {
        const server = await startServer(
          scratch.dir,
          `${dir}.${ext}`,
          translate(readmeExample(dir, "Quick start")),
        );
        onTestFinished(server.stop);
        const browser = new Client(server.url);
        const login = await browser.post("/login", { json: { user: "alice" } });
        expect(login.body).toEqual({ user: "alice" });
        expect(login.cookie("__Host-session")).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
        expect((await browser.get("/me")).body).toEqual({ user: "alice" });
        expect((await browser.post("/logout-everywhere")).body).toEqual({ ended: 1 });
        expect((await browser.get("/me")).status).toBe(401);
      }),
  );

  it("@tessera/dbsc: the quick start registers a DBSC browser and refuses a copied cookie", () =>
    inBothFormats(async ({ ext, translate }) => {
      const server = await startServer(
        scratch.dir,
        `dbsc.${ext}`,
        translate(readmeExample("dbsc", "Quick start")),
      );
      onTestFinished(server.stop);
      const browser = new DbscBrowser(server.url);
      await browser.post("/login", { json: { user: "alice" } });
      expect(browser.registration?.status).toBe(200);
      expect((await browser.get("/me")).body).toEqual({ user: "alice", deviceBound: true });
      const thief = new Client(server.url);
      thief.jar.set("__Host-session", browser.client.jar.get("__Host-session")!);
      expect((await thief.get("/me")).body.reason).toBe("device-unbound");
    }));

  it("@tessera/postgres: the quick start runs on PGlite", () =>
    inBothFormats(async ({ ext, translate }) => {
      const output = await runScript(
        scratch.dir,
        `postgres.${ext}`,
        translate(readmeExample("postgres", "Quick start")),
      );
      expect(output).toContain("valid: true role: member");
      expect(output).toContain("revoked: 1");
      expect(output).toContain("after revokeAll: not-found");
    }));

  it.runIf(mariadb)("@tessera/mysql: the quick start runs against the machine's MariaDB", () =>
    inBothFormats(async ({ ext, translate }) => {
      // A database of its own per format: both create the default `sessions` table.
      const database = `tessera_packed_${ext}_${Date.now().toString(36)}_${process.pid}`;
      await mariadb!.query(`create database \`${database}\``);
      onTestFinished(async () => {
        await mariadb!.query(`drop database \`${database}\``);
      });
      const output = await runScript(
        scratch.dir,
        `mysql.${ext}`,
        translate(readmeExample("mysql", "Quick start")),
        { DATABASE_URL: `${mysqlUrl}/${database}` },
      );
      expect(output).toContain("valid: true role: member");
      expect(output).toContain("revoked: 1");
      expect(output).toContain("after revokeAll: not-found");
    }),
  );

  it("@tessera/sqlite: the quick start runs on libSQL in memory", () =>
    inBothFormats(async ({ ext, translate }) => {
      const output = await runScript(
        scratch.dir,
        `sqlite.${ext}`,
        translate(readmeExample("sqlite", "Quick start")),
      );
      expect(output).toContain("valid: true role: member");
      expect(output).toContain("revoked: 1");
      expect(output).toContain("after revokeAll: not-found");
    }));

  it.runIf(redis)("@tessera/redis: the example runs against the machine's Redis", () =>
    inBothFormats(async ({ ext, translate }) => {
      const prefix = uniquePrefix(`packed-${ext}`);
      onTestFinished(() => dropPrefix(redis!, prefix));
      const example = readmeExample("redis", "Example");
      expect(example).toContain("myapp:session:");
      const output = await runScript(
        scratch.dir,
        `redis.${ext}`,
        translate(example.replace("myapp:session:", prefix)),
      );
      expect(output).toContain("valid: true role: member");
      expect(output).toContain("logged out elsewhere: 1");
      expect(output).toContain("devices now: 0");
    }),
  );

  it("@tessera/dynamodb: the quick start creates its table and runs on dynalite", async () => {
    const server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const env = {
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    const example = readmeExample("dynamodb", "Quick start");
    // One after the other: both create the same table on the same dynalite.
    for (const { ext, translate } of formats) {
      const output = await runScript(scratch.dir, `dynamodb.${ext}`, translate(example), env);
      expect(output).toContain("valid: true");
      expect(output).toContain("other devices logged out: 1");
      expect(output).toContain("phone: not-found");
    }
  });

  it("@tessera/access-token: the quick start issues, verifies and refuses", () =>
    inBothFormats(async ({ ext, translate }) => {
      const output = await runScript(
        scratch.dir,
        `access-token.${ext}`,
        translate(readmeExample("access-token", "Quick start")),
      );
      expect(output).toContain("verified: alice admin");
      expect(output).toContain("forged: bad-signature");
      expect(output).toContain("sensitive call after logout: revoked");
    }));
});

afterAll(() => redis?.quit());
afterAll(() => mariadb?.end());
