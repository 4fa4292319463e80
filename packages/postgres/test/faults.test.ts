import { createServer } from "node:net";
import { createSessions, StoreUnavailableError } from "@tessera/core";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { migrate, sessionsTable } from "../src/setup.js";
import { describeServer, lockTable, server, testPool } from "./support.js";

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describeServer(
  "when PostgreSQL fails, validate answers StoreUnavailableError, never a session",
  () => {
    const name = "faults";
    const table = sessionsTable(name, { schema: server?.schema });
    const healthyPool = testPool();
    const healthy = createSessions({
      store: new PostgresStore({ db: drizzle({ client: healthyPool }), table }),
    });
    const pools: pg.Pool[] = [healthyPool];
    const poolOf = (config: pg.PoolConfig = {}) => {
      const pool = testPool(config);
      pools.push(pool);
      return pool;
    };

    beforeAll(async () => {
      await migrate(drizzle({ client: healthyPool }), { table });
    });
    afterAll(async () => {
      await Promise.all(pools.map((pool) => pool.end()));
    });

    it("with the server down (nothing listening on the port)", async () => {
      const { token } = await healthy.create({ userId: "outage" });
      const port = await closedPort();
      const pool = poolOf({
        connectionString: undefined,
        host: "127.0.0.1",
        port,
        user: "postgres",
        database: "test",
        connectionTimeoutMillis: 2000,
      });
      const sessions = createSessions({
        store: new PostgresStore({ db: drizzle({ client: pool }), table }),
      });

      const failure = await sessions.validate(token).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).cause).toMatchObject({ code: "ECONNREFUSED" });
      await expect(sessions.list("outage")).rejects.toBeInstanceOf(StoreUnavailableError);

      // drizzle's own error lists every statement parameter; none of it may reach a log line.
      const created = await sessions
        .create({ userId: "outage", data: { email: "alice@example.com" } })
        .catch((error: unknown) => error);
      expect(created).toBeInstanceOf(StoreUnavailableError);
      expect((created as Error).message).toBe("Postgres create failed (ECONNREFUSED)");
      const logged = `${created} ${(created as Error).cause}`;
      expect(logged).not.toContain("alice@example.com");
    });

    it("with its connection killed mid-query (pg_terminate_backend), then recovers", async () => {
      const { token } = await healthy.create({ userId: "dropped" });
      // One connection, so the store's next query runs on the backend whose pid we read here.
      const pool = poolOf({ max: 1 });
      const sessions = createSessions({
        store: new PostgresStore({ db: drizzle({ client: pool }), table }),
      });
      const { rows } = await pool.query("select pg_backend_pid() as pid");
      const pid: number = rows[0].pid;

      const lock = await lockTable(name);
      try {
        const pending = sessions.validate(token).catch((error: unknown) => error);
        await lock.waitForWaiter(pid);
        const admin = new pg.Client({ connectionString: server?.url });
        await admin.connect();
        await admin.query("select pg_terminate_backend($1)", [pid]);
        await admin.end();
        const failure = await pending;
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect((failure as StoreUnavailableError).cause).toMatchObject({ code: "57P01" });
      } finally {
        await lock.release();
      }
      // The pool drops the dead connection and opens a new one.
      expect(await sessions.validate(token)).toMatchObject({ ok: true });
    });

    it("with a statement that outlives the server's statement_timeout, then recovers", async () => {
      const { token } = await healthy.create({ userId: "slow" });
      const pool = poolOf({ statement_timeout: 300 });
      const sessions = createSessions({
        store: new PostgresStore({ db: drizzle({ client: pool }), table }),
      });

      const lock = await lockTable(name);
      try {
        const failure = await sessions.validate(token).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect((failure as StoreUnavailableError).cause).toMatchObject({ code: "57014" });
      } finally {
        await lock.release();
      }
      expect(await sessions.validate(token)).toMatchObject({ ok: true });
    });

    it("with a statement that outlives core's storeTimeout, then recovers", async () => {
      const { token } = await healthy.create({ userId: "hung" });
      const pool = poolOf();
      const sessions = createSessions({
        store: new PostgresStore({ db: drizzle({ client: pool }), table }),
        storeTimeout: 300,
      });

      const lock = await lockTable(name);
      try {
        const failure = await sessions.validate(token).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect((failure as Error).message).toMatch(/did not answer/);
      } finally {
        await lock.release();
      }
      expect(await sessions.validate(token)).toMatchObject({ ok: true });
    });
  },
);
