/**
 * The store pages' examples, run as shown against real servers: the machine's Redis (under a
 * prefix of this run), the machine's PostgreSQL (in a schema of this run), the machine's MariaDB
 * (in a database of this run), libSQL on a file in a temporary folder and dynalite (started
 * here). With CI=true an unreachable Redis, PostgreSQL or MariaDB fails the run; elsewhere the
 * example is skipped with a warning naming the server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { connectRedis, dropPrefix, uniquePrefix } from "@tessera/test-kit";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { runScript } from "../../../tests/packed/test/processes.js";
import { codeBlock, exampleDir } from "./pages.js";
import { connectMySQL, connectPostgres, ownDatabase, ownSchema } from "./servers.js";

const require = createRequire(import.meta.url);
const dynalite = require("dynalite") as (options?: { createTableMs?: number }) => Server;

const redis = await connectRedis();
const postgres = await connectPostgres();
const mysql = await connectMySQL();
afterAll(async () => {
  await redis?.quit();
  await postgres?.end();
  await mysql?.end();
});

describe.each([
  ["ioredis", "sessions.mjs"],
  ["node-redis", "sessions-node-redis.mjs"],
])("stores/redis.md, with %s", (client, file) => {
  it.runIf(redis)("the example logs in twice, lists the devices and logs them out", async () => {
    const prefix = uniquePrefix("docs");
    onTestFinished(() => dropPrefix(redis!, prefix));
    const example = codeBlock("stores/redis.md", file);
    expect(example).toContain('prefix: "myapp:session:"');
    expect(example).toContain('redis.on("error"');
    // The only change: a prefix of this run's own on the shared server.
    const output = await runScript(
      exampleDir(`stores-redis-${client}`),
      file,
      example.replace("myapp:session:", prefix),
      { REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    );
    expect(output).toContain("valid: true");
    expect(output).toMatch(new RegExp(`^key: ${prefix}\\{[0-9a-f]{2}\\}s:[a-z2-7]{24}$`, "m"));
    expect(output).toContain("device: firefox 133 on linux (this one)");
    expect(output).toContain("device: safari 18 on ios");
    expect(output).toContain("others logged out: 1");
    expect(output).toContain("after logout: false");
    expect(await redis!.keys(`${prefix}*`)).toEqual([]);
  });
});

describe("stores/postgres.md", () => {
  it.runIf(postgres)("the example migrates, validates, updates data and cleans up", async () => {
    const url = await ownSchema(postgres!, "store");
    const output = await runScript(
      exampleDir("stores-postgres"),
      "sessions.mjs",
      codeBlock("stores/postgres.md", "sessions.mjs"),
      { DATABASE_URL: url },
    );
    expect(output).toContain("valid: true role: member");
    expect(output).toContain("role now: admin");
    expect(output).toContain("devices: 2");
    expect(output).toContain("others logged out: 1");
    expect(output).toContain("expired rows deleted: 0");
    const schema = new URL(url).searchParams.get("options")!.split("=")[1];
    const { rows } = await postgres!.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'sessions'",
      [schema],
    );
    expect(rows[0].n).toBe(1);
  });
});

describe("stores/sqlite.md", () => {
  it("the example migrates a WAL file, validates, updates data and cleans up, on libSQL", async () => {
    const folder = mkdtempSync(join(tmpdir(), "tessera-docs-sqlite-"));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const file = join(folder, "sessions.db");
    const output = await runScript(
      exampleDir("stores-sqlite"),
      "sessions.mjs",
      codeBlock("stores/sqlite.md", "sessions.mjs"),
      { DATABASE_URL: `file:${file}` },
    );
    expect(output).toContain("journal mode: wal");
    expect(output).toContain("valid: true role: member");
    expect(output).toContain("role now: admin");
    expect(output).toContain("devices: 2");
    expect(output).toContain("others logged out: 1");
    expect(output).toContain("expired rows purged: 0");
    // The file holds the table, both sessions ended; WAL mode is kept in the file.
    const client = createClient({ url: `file:${file}` });
    onTestFinished(() => client.close());
    const rows = (await client.execute("SELECT count(*) AS n FROM sessions")).rows;
    expect(Number(rows[0]!.n)).toBe(0);
    const mode = (await client.execute("PRAGMA journal_mode")).rows;
    expect(mode[0]!.journal_mode).toBe("wal");
  });
});

describe("stores/mysql.md", () => {
  it.runIf(mysql)(
    "the example migrates, validates, updates data and cleans up, on MariaDB",
    async () => {
      const url = await ownDatabase(mysql!, "store");
      const output = await runScript(
        exampleDir("stores-mysql"),
        "sessions.mjs",
        codeBlock("stores/mysql.md", "sessions.mjs"),
        { DATABASE_URL: url },
      );
      expect(output).toContain("valid: true role: member");
      expect(output).toContain("role now: admin");
      expect(output).toContain("devices: 2");
      expect(output).toContain("others logged out: 1");
      expect(output).toContain("expired rows purged: 0");
      const database = new URL(url).pathname.slice(1);
      const [tables] = await mysql!.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = 'sessions'",
        [database],
      );
      expect((tables as { n: number }[])[0]!.n).toBe(1);
      const [rows] = await mysql!.query(`SELECT count(*) AS n FROM \`${database}\`.sessions`);
      expect((rows as { n: number }[])[0]!.n).toBe(0);
    },
  );
});

describe("stores/dynamodb.md", () => {
  it("the example creates its table and logs the other device out, on dynalite", async () => {
    const server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const output = await runScript(
      exampleDir("stores-dynamodb"),
      "sessions.mjs",
      codeBlock("stores/dynamodb.md", "sessions.mjs"),
      {
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      },
    );
    expect(output).toContain("table: { created: true, ttl: 'unsupported' }");
    expect(output).toContain("valid: true");
    expect(output).toContain("others logged out: 1");
    expect(output).toContain("phone: not-found");
  });
});
