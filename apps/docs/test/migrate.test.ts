/**
 * The migration guides' before, bridge and after apps, run as the pages show them, in turn, on one
 * database: a browser logs in on the old stack, the bridge moves it to Tessera on its first
 * request without a new login, and the new stack keeps it. Lucia's guide does so on PostgreSQL,
 * on SQLite (libSQL, a file in a temporary folder) and on MySQL (the machine's MariaDB, in a
 * database of the test's own). The SvelteKit and Astro sections' files are compiled against the
 * packages' types (they are not served: examples/sveltekit and examples/astro serve the same wiring).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createClient } from "@libsql/client";
import { Client, connectRedis, dropPrefix, uniquePrefix } from "@tessera/test-kit";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { startServer } from "../../../tests/packed/test/processes.js";
import { codeBlock, exampleDir } from "./pages.js";
import { connectMySQL, connectPostgres, ownDatabase, ownSchema } from "./servers.js";

const redis = await connectRedis();
const postgres = await connectPostgres();
const mysql = await connectMySQL();
afterAll(async () => {
  await redis?.quit();
  await postgres?.end();
  await mysql?.end();
});

/** Starts one of the page's apps; stopped when the test finishes. */
async function start(
  page: string,
  file: string,
  env: Record<string, string>,
  edit = (s: string) => s,
) {
  const dir = exampleDir(page.replace(/[/.]/g, "-"));
  const app = await startServer(dir, file, edit(codeBlock(page, file)), env);
  onTestFinished(app.stop);
  return app;
}

/** The same browser (cookie jar) pointed at another server. */
function moveTo(client: Client, url: string): Client {
  const moved = new Client(url);
  for (const [name, value] of client.jar) moved.jar.set(name, value);
  return moved;
}

describe("migrate/lucia-v3.md", () => {
  it.runIf(postgres)("moves a logged-in Lucia user to Tessera without a new login", async () => {
    const env = { DATABASE_URL: await ownSchema(postgres!, "lucia") };
    const schema = new URL(env.DATABASE_URL).searchParams.get("options")!.split("=")[1];

    const before = await start("migrate/lucia-v3.md", "before.mjs", env);
    let browser = new Client(before.url);
    expect((await browser.post("/login", { json: { user: "alice" } })).body).toEqual({
      user: "alice",
    });
    expect(browser.jar.has("auth_session")).toBe(true);
    expect((await browser.get("/me")).body).toEqual({ user: "alice" });
    before.stop();

    const bridge = await start("migrate/lucia-v3.md", "bridge.mjs", env);
    browser = moveTo(browser, bridge.url);
    const exchanged = await browser.get("/me");
    expect(exchanged.body).toEqual({ user: "alice" });
    expect(browser.jar.has("auth_session")).toBe(false); // Lucia's cookie cleared
    expect(browser.jar.has("session")).toBe(true); // Tessera's cookie (http: not __Host-)
    const lucia = await postgres!.query(`SELECT count(*)::int AS n FROM "${schema}".user_session`);
    expect(lucia.rows[0].n).toBe(0); // the Lucia session ended with the exchange
    bridge.stop();

    const after = await start("migrate/lucia-v3.md", "after.mjs", env);
    browser = moveTo(browser, after.url);
    expect((await browser.get("/me")).body).toEqual({ user: "alice" });
    expect((await browser.post("/logout")).body).toEqual({ ok: true });
    expect((await browser.get("/me")).status).toBe(401);
  });
});

/**
 * Runs `before-<dialect>.mjs`, `bridge-<dialect>.mjs` and `after-<dialect>.mjs` from Lucia's guide
 * in turn on one database; `luciaSessions` counts the rows left in Lucia's `session` table.
 */
async function luciaDrizzleCutOver(
  dialect: "sqlite" | "mysql",
  env: Record<string, string>,
  luciaSessions: () => Promise<number>,
) {
  const page = "migrate/lucia-v3.md";
  const before = await start(page, `before-${dialect}.mjs`, env);
  let browser = new Client(before.url);
  expect((await browser.post("/login", { json: { user: "alice" } })).body).toEqual({
    user: "alice",
  });
  expect(browser.jar.has("auth_session")).toBe(true);
  expect((await browser.get("/me")).body).toEqual({ user: "alice" });
  expect(await luciaSessions()).toBe(1);
  before.stop();

  const bridge = await start(page, `bridge-${dialect}.mjs`, env);
  browser = moveTo(browser, bridge.url);
  expect((await browser.get("/me")).body).toEqual({ user: "alice" });
  expect(browser.jar.has("auth_session")).toBe(false); // Lucia's cookie cleared
  expect(browser.jar.has("session")).toBe(true); // Tessera's cookie (http: not __Host-)
  expect(await luciaSessions()).toBe(0); // the Lucia session ended with the exchange
  // A made-up Lucia cookie is ignored, never exchanged.
  const forger = new Client(bridge.url);
  forger.jar.set("auth_session", "a".repeat(40));
  expect((await forger.get("/me")).status).toBe(401);
  bridge.stop();

  const after = await start(page, `after-${dialect}.mjs`, env);
  browser = moveTo(browser, after.url);
  expect((await browser.get("/me")).body).toEqual({ user: "alice" });
  expect((await browser.post("/logout")).body).toEqual({ ok: true });
  expect((await browser.get("/me")).status).toBe(401);
}

describe("migrate/lucia-v3.md, drizzle adapter on SQLite", () => {
  it("moves a logged-in Lucia user to Tessera without a new login, on libSQL", async () => {
    const folder = mkdtempSync(join(tmpdir(), "tessera-docs-lucia-"));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const url = `file:${join(folder, "app.db")}`;
    const client = createClient({ url });
    onTestFinished(() => client.close());
    await luciaDrizzleCutOver("sqlite", { DATABASE_URL: url }, async () => {
      const { rows } = await client.execute("SELECT count(*) AS n FROM session");
      return Number(rows[0]!.n);
    });
  });
});

describe("migrate/lucia-v3.md, drizzle adapter on MySQL", () => {
  it.runIf(mysql)(
    "moves a logged-in Lucia user to Tessera without a new login, on MariaDB",
    async () => {
      const url = await ownDatabase(mysql!, "lucia");
      const database = new URL(url).pathname.slice(1);
      await luciaDrizzleCutOver("mysql", { DATABASE_URL: url }, async () => {
        const [rows] = await mysql!.query(`SELECT count(*) AS n FROM \`${database}\`.session`);
        return Number((rows as { n: number }[])[0]!.n);
      });
    },
  );
});

/**
 * Writes the page's `after: <path>` blocks into a folder of their own, as the app's files, and
 * compiles them with `tsc --strict` against the workspace packages' types; returns tsc's output.
 */
function compileAfterFiles(name: string, files: string[], env: string): string {
  const dir = exampleDir(`migrate-lucia-v3-${name}`);
  rmSync(join(dir, "src"), { recursive: true, force: true });
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), codeBlock("migrate/lucia-v3.md", `after: ${file}`));
  }
  writeFileSync(join(dir, "src", "env.d.ts"), env);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        lib: ["ES2022", "DOM"],
        types: [],
        skipLibCheck: true,
      },
      include: ["src"],
    }),
  );
  // The workspace's TypeScript (a root devDependency), run by this Node: no `.bin` link needed.
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    return execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe("migrate/lucia-v3.md, SvelteKit and Astro", () => {
  it("the SvelteKit hook, load and actions compile against @tessera/sveltekit", () => {
    const files = ["src/hooks.server.ts", "src/routes/account/+page.server.ts"];
    expect(compileAfterFiles("sveltekit", files, 'import "@tessera/sveltekit";\n')).toBe("");
  });

  it("the Astro middleware and endpoint compile against @tessera/astro", () => {
    const files = ["src/middleware.ts", "src/pages/api/me.ts"];
    const env = '/// <reference types="astro/client" />\nimport "@tessera/astro";\n';
    expect(compileAfterFiles("astro", files, env)).toBe("");
  });
});

describe("migrate/express-session.md", () => {
  it.runIf(redis)(
    "moves a logged-in express-session user to Tessera without a new login",
    async () => {
      const prefix = uniquePrefix("docs-migrate");
      onTestFinished(() => dropPrefix(redis!, prefix));
      const env = {
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        SESSION_SECRET: "a secret of this test run",
      };
      // The only change: keys under a prefix of this run on the shared Redis.
      const ownPrefix = (source: string) => source.replaceAll("myapp:", prefix);

      const before = await start("migrate/express-session.md", "before.mjs", env, ownPrefix);
      let browser = new Client(before.url);
      expect((await browser.post("/login", { json: { user: "alice" } })).body).toEqual({
        user: "alice",
      });
      expect(browser.jar.has("connect.sid")).toBe(true);
      expect((await browser.get("/me")).body).toEqual({ user: "alice" });
      expect(await redis!.keys(`${prefix}sess:*`)).toHaveLength(1);
      before.stop();

      const bridge = await start("migrate/express-session.md", "bridge.mjs", env, ownPrefix);
      browser = moveTo(browser, bridge.url);
      expect((await browser.get("/me")).body).toEqual({ user: "alice" });
      expect(browser.jar.has("connect.sid")).toBe(false);
      expect(browser.jar.has("session")).toBe(true);
      expect(await redis!.keys(`${prefix}sess:*`)).toEqual([]); // the old record is gone
      // A forged cookie (wrong signature) is ignored, never exchanged.
      const forger = new Client(bridge.url);
      forger.jar.set("connect.sid", encodeURIComponent("s:someone-elses-id.bad-signature"));
      expect((await forger.get("/me")).status).toBe(401);
      bridge.stop();

      const after = await start("migrate/express-session.md", "after.mjs", env, ownPrefix);
      browser = moveTo(browser, after.url);
      expect((await browser.get("/me")).body).toEqual({ user: "alice" });
      expect((await browser.post("/logout")).body).toEqual({ ok: true });
      expect((await browser.get("/me")).status).toBe(401);
    },
  );
});

describe("migrate/authjs.md", () => {
  it.runIf(postgres)(
    "moves a signed-in Auth.js user (a database session row) to Tessera without a new login",
    async () => {
      const env = { DATABASE_URL: await ownSchema(postgres!, "authjs") };
      const schema = new URL(env.DATABASE_URL).searchParams.get("options")!.split("=")[1];
      // Auth.js's tables as @auth/pg-adapter reads and writes them, and a session row as its
      // createSession leaves it after a sign-in (a random UUID token, 30 days ahead).
      await postgres!.query(
        `CREATE TABLE "${schema}".users (id SERIAL PRIMARY KEY, name text, email text, "emailVerified" timestamptz, image text)`,
      );
      await postgres!.query(
        `CREATE TABLE "${schema}".sessions (id SERIAL PRIMARY KEY, "userId" integer NOT NULL, expires timestamptz NOT NULL, "sessionToken" varchar(255) NOT NULL)`,
      );
      const user = await postgres!.query(
        `INSERT INTO "${schema}".users (name, email) VALUES ('Alice', 'alice@example.com') RETURNING id`,
      );
      const userId = String(user.rows[0].id);
      const live = crypto.randomUUID();
      const expired = crypto.randomUUID();
      await postgres!.query(
        `INSERT INTO "${schema}".sessions ("userId", expires, "sessionToken") VALUES ($1, now() + interval '30 days', $2), ($1, now() - interval '1 minute', $3)`,
        [userId, live, expired],
      );
      const rows = async () =>
        (await postgres!.query(`SELECT count(*)::int AS n FROM "${schema}".sessions`)).rows[0].n;

      const bridge = await start("migrate/authjs.md", "bridge.mjs", env);
      let browser = new Client(bridge.url);
      browser.jar.set("authjs.session-token", live);
      expect((await browser.get("/me")).body).toEqual({ user: userId });
      expect(browser.jar.has("authjs.session-token")).toBe(false); // Auth.js's cookie cleared
      expect(browser.jar.has("session")).toBe(true); // Tessera's (http: not __Host-)
      expect(await rows()).toBe(1); // the live row went with the exchange; the expired one is left
      // The same Auth.js cookie a second time (a copy of it) finds nothing.
      const copy = new Client(bridge.url);
      copy.jar.set("authjs.session-token", live);
      expect((await copy.get("/me")).status).toBe(401);
      // An expired session is not exchanged, and its row is deleted.
      const late = new Client(bridge.url);
      late.jar.set("authjs.session-token", expired);
      expect((await late.get("/me")).status).toBe(401);
      expect(await rows()).toBe(0);
      bridge.stop();

      const after = await start("migrate/authjs.md", "after.mjs", env);
      browser = moveTo(browser, after.url);
      expect((await browser.get("/me")).body).toEqual({ user: userId });
      expect((await browser.post("/logout")).body).toEqual({ ok: true });
      expect((await browser.get("/me")).status).toBe(401);
    },
  );
});

describe("migrate/better-auth.md", () => {
  it.runIf(postgres)(
    "moves a signed-in better-auth user to Tessera without a new login",
    async () => {
      const env = {
        DATABASE_URL: await ownSchema(postgres!, "betterauth"),
        BETTER_AUTH_SECRET: "a secret of this test run, thirty-two characters or more",
      };
      const schema = new URL(env.DATABASE_URL).searchParams.get("options")!.split("=")[1];

      const before = await start("migrate/better-auth.md", "before.mjs", env);
      let browser = new Client(before.url);
      const signUp = await browser.post("/api/auth/sign-up/email", {
        json: { email: "alice@example.com", password: "correct horse battery", name: "Alice" },
        headers: { origin: before.url },
      });
      expect(signUp.status).toBe(200);
      const userId = (signUp.body as { user: { id: string } }).user.id;
      expect(browser.jar.has("better-auth.session_token")).toBe(true);
      expect((await browser.get("/me")).body).toEqual({ user: userId });
      const oldCookie = browser.jar.get("better-auth.session_token")!;
      before.stop();

      const bridge = await start("migrate/better-auth.md", "bridge.mjs", env);
      browser = moveTo(browser, bridge.url);
      expect((await browser.get("/me")).body).toEqual({ user: userId });
      expect(browser.jar.has("better-auth.session_token")).toBe(false); // better-auth's cookie cleared
      expect(browser.jar.has("session")).toBe(true); // Tessera's (http: not __Host-)
      const left = await postgres!.query(`SELECT count(*)::int AS n FROM "${schema}".session`);
      expect(left.rows[0].n).toBe(0); // signed out: the row is gone
      // The old cookie again (a copy), and a forged one: neither gets a session.
      const copy = new Client(bridge.url);
      copy.jar.set("better-auth.session_token", oldCookie);
      expect((await copy.get("/me")).status).toBe(401);
      const forger = new Client(bridge.url);
      forger.jar.set("better-auth.session_token", "forged.c2lnbmF0dXJl");
      expect((await forger.get("/me")).status).toBe(401);
      bridge.stop();

      const after = await start("migrate/better-auth.md", "after.mjs", env);
      browser = moveTo(browser, after.url);
      expect((await browser.get("/me")).body).toEqual({ user: userId });
      expect((await browser.post("/logout")).body).toEqual({ ok: true });
      expect((await browser.get("/me")).status).toBe(401);
    },
  );
});
