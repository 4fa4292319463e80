/**
 * The store pages' examples, run as shown against real servers: the machine's Redis (under a
 * prefix of this run), the machine's PostgreSQL (in a schema of this run) and dynalite (started
 * here). With CI=true an unreachable Redis or PostgreSQL fails the run; elsewhere the example is
 * skipped with a warning naming the server.
 */
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { connectRedis, dropPrefix, uniquePrefix } from "@tessera/testing";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { runScript } from "../../packed/test/processes.js";
import { codeBlock, exampleDir } from "./pages.js";
import { connectPostgres, ownSchema } from "./servers.js";

const require = createRequire(import.meta.url);
const dynalite = require("dynalite") as (options?: { createTableMs?: number }) => Server;

const redis = await connectRedis();
const postgres = await connectPostgres();
afterAll(async () => {
  await redis?.quit();
  await postgres?.end();
});

describe("stores/redis.md", () => {
  it.runIf(redis)("the example logs in twice, lists the devices and logs them out", async () => {
    const prefix = uniquePrefix("docs");
    onTestFinished(() => dropPrefix(redis!, prefix));
    const example = codeBlock("stores/redis.md", "sessions.mjs");
    expect(example).toContain('prefix: "myapp:session:"');
    // The only change: a prefix of this run's own on the shared server.
    const output = await runScript(
      exampleDir("stores-redis"),
      "sessions.mjs",
      example.replace("myapp:session:", prefix),
      { REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    );
    expect(output).toContain("valid: true");
    expect(output).toMatch(new RegExp(`^key: ${prefix}s:\\{[a-z2-7]{24}\\}$`, "m"));
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
