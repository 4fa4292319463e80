import { createServer } from "node:net";
import { createSessions, StoreUnavailableError } from "@tessera/core";
import { drizzle } from "drizzle-orm/mysql2";
import type mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MySQLStore } from "../src/index.js";
import { migrate, sessionsTable } from "../src/setup.js";
import { describeServer, testConnection, testPool, waitUntilWaiting } from "./support.js";

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describeServer("when MySQL fails, Tessera answers StoreUnavailableError, never a session", () => {
  const table = sessionsTable("faults");
  const healthyPool = testPool();
  const healthy = createSessions({
    store: new MySQLStore({ db: drizzle({ client: healthyPool }), table }),
  });
  const pools: mysql.Pool[] = [healthyPool];
  const poolOf = (options: mysql.PoolOptions = {}) => {
    const pool = testPool(options);
    pools.push(pool);
    return pool;
  };
  /** Sessions on a pool of one connection, whose id the test reads to lock or kill it. */
  const onOneConnection = async (options: { storeTimeout?: number } = {}) => {
    const pool = poolOf({ connectionLimit: 1 });
    const sessions = createSessions({
      store: new MySQLStore({ db: drizzle({ client: pool }), table }),
      ...options,
    });
    // The first call checks the table: done here, before any lock is held.
    await sessions.validate("aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    const [rows] = await pool.query<RowDataPacket[]>("select connection_id() as id");
    return { pool, sessions, connectionId: Number(rows[0]?.id) };
  };
  /** Holds `LOCK TABLES faults WRITE` from a connection of its own: every read of it waits. */
  const lockTable = async () => {
    const locker = await testConnection();
    await locker.query("lock tables faults write");
    return {
      release: async () => {
        await locker.query("unlock tables");
        await locker.end();
      },
    };
  };

  beforeAll(async () => {
    await migrate(drizzle({ client: healthyPool }), { table });
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  });

  it("with the server down (nothing listening on the port)", async () => {
    const { token } = await healthy.create({ userId: "outage" });
    const pool = poolOf({ host: "127.0.0.1", port: await closedPort(), connectTimeout: 2000 });
    const sessions = createSessions({
      store: new MySQLStore({ db: drizzle({ client: pool }), table }),
    });

    const failure = await sessions.validate(token).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).cause).toMatchObject({ code: "ECONNREFUSED" });
    await expect(sessions.list("outage")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(sessions.revokeAll("outage")).rejects.toBeInstanceOf(StoreUnavailableError);
    const created = await sessions
      .create({ userId: "outage", data: { email: "alice@example.com" } })
      .catch((error: unknown) => error);
    expect(created).toBeInstanceOf(StoreUnavailableError);
    expect((created as Error).message).toBe("MySQL check failed (ECONNREFUSED)");
    const logged = `${created} ${(created as Error).cause}`;
    expect(logged).not.toContain("alice@example.com");
  });

  it("with its connection killed mid-query (KILL from a second connection), then recovers", async () => {
    const { token } = await healthy.create({ userId: "dropped" });
    const { sessions, connectionId } = await onOneConnection();
    const lock = await lockTable();
    const observer = await testConnection();
    try {
      const pending = sessions.validate(token).catch((error: unknown) => error);
      await waitUntilWaiting(observer, connectionId);
      await observer.query(`kill ${connectionId}`);
      const failure = await pending;
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      // mysql2 reports the dropped socket; a server may first send ER_CONNECTION_KILLED.
      expect((failure as Error).message).toMatch(
        /^MySQL getWithEpochs failed \((PROTOCOL_CONNECTION_LOST|ER_CONNECTION_KILLED)\)$/,
      );
    } finally {
      await observer.end();
      await lock.release();
    }
    // The pool drops the dead connection and opens a new one.
    expect(await sessions.validate(token)).toMatchObject({ ok: true });
  });

  it("with a row lock held past innodb_lock_wait_timeout, then recovers", async () => {
    const { session, token } = await healthy.create({ userId: "locked" });
    const { pool, sessions } = await onOneConnection();
    await pool.query("set session innodb_lock_wait_timeout = 1");
    const locker = await testConnection();
    await locker.query("begin");
    await locker.query("select id from faults where id = ? for update", [session.id]);
    try {
      // Reads do not wait for row locks; the write (UPDATE, then DELETE) does.
      const failure = await sessions
        .update(session.id, { email: "alice@example.com" })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).cause).toMatchObject({
        code: "ER_LOCK_WAIT_TIMEOUT",
      });
      expect((failure as Error).message).toMatch(/^MySQL update failed \(ER_LOCK_WAIT_TIMEOUT\)/);
      // drizzle's own error lists every statement parameter; none of it may reach a log line.
      expect(`${failure} ${(failure as Error).cause}`).not.toContain("alice@example.com");
      await expect(sessions.revoke(session.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      // Never "no session": the session is still there.
      expect(await sessions.validate(token)).toMatchObject({ ok: true });
    } finally {
      await locker.query("rollback");
      await locker.end();
    }
    await sessions.update(session.id, { role: "admin" });
    expect(await sessions.validate(token)).toMatchObject({
      ok: true,
      session: { data: { role: "admin" } },
    });
  });

  it("with a statement that outlives core's storeTimeout, then recovers", async () => {
    const { token } = await healthy.create({ userId: "hung" });
    const { sessions } = await onOneConnection({ storeTimeout: 300 });
    const lock = await lockTable();
    try {
      const failure = await sessions.validate(token).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/did not answer/);
    } finally {
      await lock.release();
    }
    expect(await sessions.validate(token)).toMatchObject({ ok: true });
  });
});
