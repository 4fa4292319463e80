import { createClient } from "@libsql/client";
import { createSessions, StoreUnavailableError } from "@tessera/core";
import Database from "better-sqlite3";
import { drizzle as betterSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as libsql } from "drizzle-orm/libsql";
import { describe, expect, it } from "vitest";
import { SQLiteStore } from "../src/index.js";
import { migrate } from "../src/setup.js";
import { databasePath } from "./support.js";

/** A database file in WAL mode with the sessions table, and a second connection to lock it. */
async function lockableDatabase(name: string) {
  const path = databasePath(name);
  const admin = new Database(path);
  admin.pragma("journal_mode = WAL");
  await migrate(betterSqlite({ client: admin }));
  return {
    path,
    /** Takes SQLite's write lock from this second connection until `release`. */
    lock() {
      admin.exec("begin immediate");
      return { release: () => admin.exec("rollback") };
    },
    close: () => admin.close(),
  };
}

describe("when SQLite fails, the store answers StoreUnavailableError, never a session", () => {
  it("better-sqlite3: a write that waits on another connection's lock past busy_timeout (SQLITE_BUSY), then recovers", async () => {
    const database = await lockableDatabase("busy");
    const client = new Database(database.path);
    client.pragma("busy_timeout = 50");
    const sessions = createSessions({ store: new SQLiteStore({ db: betterSqlite({ client }) }) });
    const { token } = await sessions.create({ userId: "busy" });

    const lock = database.lock();
    try {
      const failure = await sessions
        .create({ userId: "busy", data: { email: "alice@example.com" } })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(
        /^SQLite create failed \(SQLITE_BUSY\): another connection holds the write lock past busy_timeout/,
      );
      expect((failure as StoreUnavailableError).cause).toMatchObject({ code: "SQLITE_BUSY" });
      // drizzle's own error lists every statement parameter; none of it may reach a log line.
      expect(`${failure} ${(failure as Error).cause}`).not.toContain("alice@example.com");
      // In WAL mode readers never wait for the writer: validating goes on during the lock.
      expect(await sessions.validate(token)).toMatchObject({ ok: true });
    } finally {
      lock.release();
    }
    expect((await sessions.create({ userId: "busy" })).session.userId).toBe("busy");
    client.close();
    database.close();
  });

  it("libSQL: a write that waits on another connection's lock (SQLITE_BUSY), then recovers", async () => {
    // The lock is taken through libSQL too: two SQLite libraries in one process do not see each
    // other's locks (POSIX locks belong to the process), which is why the README says to open a
    // file with one library only.
    const url = `file:${databasePath("busy-libsql")}`;
    const admin = createClient({ url });
    await admin.execute("PRAGMA journal_mode = WAL");
    await migrate(libsql({ client: admin }));
    const client = createClient({ url });
    await client.execute("PRAGMA busy_timeout = 50");
    const sessions = createSessions({ store: new SQLiteStore({ db: libsql({ client }) }) });
    const { session } = await sessions.create({ userId: "busy" });

    const lock = await admin.transaction("write");
    try {
      const failure = await sessions.revoke(session.id).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/^SQLite delete failed \(SQLITE_BUSY\)/);
    } finally {
      await lock.rollback();
    }
    await sessions.revoke(session.id);
    expect(await sessions.list("busy")).toEqual([]);
    client.close();
    admin.close();
  });

  it("better-sqlite3: a closed database", async () => {
    const client = new Database(databasePath("closed"));
    const db = betterSqlite({ client });
    await migrate(db);
    const sessions = createSessions({ store: new SQLiteStore({ db }) });
    const { token } = await sessions.create({ userId: "closed" });
    client.close();
    const failure = await sessions.validate(token).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toMatch(/^SQLite getWithEpochs failed/);
    await expect(sessions.list("closed")).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("libSQL: a closed client", async () => {
    const client = createClient({ url: `file:${databasePath("closed-libsql")}` });
    const db = libsql({ client });
    await migrate(db);
    const sessions = createSessions({ store: new SQLiteStore({ db }) });
    const { token } = await sessions.create({ userId: "closed" });
    client.close();
    const failure = await sessions.validate(token).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe("SQLite getWithEpochs failed (CLIENT_CLOSED)");
  });

  it("a closed database before the first statement: StoreUnavailableError, not a table problem", async () => {
    const client = new Database(databasePath("closed-early"));
    const db = betterSqlite({ client });
    await migrate(db);
    client.close();
    const sessions = createSessions({ store: new SQLiteStore({ db }) });
    await expect(sessions.create({ userId: "early" })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
