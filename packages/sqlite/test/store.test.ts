import { readFileSync } from "node:fs";
import { createSessions, SessionConflictError, TesseraConfigError } from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SessionsTable, SQLiteStore } from "../src/index.js";
import { createTableSql, createTableStatements, migrate, sessionsTable } from "../src/setup.js";
import { databasePath } from "./support.js";

const MINUTE = 60_000;

/** One of the package's migration files. */
function migrationFile(name: string): string {
  return readFileSync(new URL(`../migrations/${name}`, import.meta.url), "utf8");
}

/** A better-sqlite3 database in WAL mode whose statements are logged, as drizzle sends them. */
function loggedDatabase(name: string) {
  const client = new Database(databasePath(name));
  client.pragma("journal_mode = WAL");
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = drizzle({
    client,
    logger: { logQuery: (query, params) => statements.push({ sql: query, params }) },
  });
  return { client, db, statements };
}

/** SQLite's plan for `query` (with `params`), one line per step. */
function plan(client: Database.Database, query: string, params: unknown[]): string {
  const rows = client.prepare(`explain query plan ${query}`).all(...params) as { detail: string }[];
  return rows.map((row) => row.detail).join("\n");
}

describe("SQLiteStore on better-sqlite3: the SQL it runs", () => {
  const { client, db, statements } = loggedDatabase("sql");
  const clock = { now: Date.now() };
  const store = new SQLiteStore({ db, now: () => clock.now });

  beforeAll(async () => {
    await migrate(db);
    // A table of realistic size, so that the planner's choices are the ones production sees.
    const insert = client.prepare(
      `insert into sessions (id, user_id, version, secret_hash, created_at, authenticated_at,
         fresh_until, last_active_at, rotated_at, expires_at, absolute_expires_at)
       values (?, ?, 1, 'hash', 0, 0, 0, 0, 0, ?, ?)`,
    );
    client.transaction(() => {
      for (let i = 0; i < 5000; i++) {
        insert.run(`id${i}`, `user${i % 500}`, clock.now + 86_400_000, clock.now + 2_592_000_000);
      }
    })();
    client.exec("analyze");
  });
  beforeEach(() => {
    clock.now = Date.now();
    statements.length = 0;
  });
  afterAll(() => {
    client.close();
  });

  it("validates with a single primary-key SELECT and no write", async () => {
    const sessions = createSessions({ store, now: () => clock.now });
    const { token } = await sessions.create({ userId: "hot-path" });
    clock.now += MINUTE;
    statements.length = 0;
    expect((await sessions.validate(token)).ok).toBe(true);
    expect(statements).toHaveLength(1);
    const [select] = statements;
    expect(select?.sql).toMatch(
      /^select .* from "sessions" where \("sessions"\."id" = \? and "sessions"\."expires_at" > \?\)$/,
    );
    // The session by its primary key, the two epochs by theirs (scalar subqueries).
    const steps = plan(client, select!.sql, ["id42", clock.now]).split("\n");
    expect(steps[0]).toBe("SEARCH sessions USING INDEX sqlite_autoindex_sessions_1 (id=?)");
    expect(steps.filter((step) => step.startsWith("SEARCH sessions_epochs"))).toEqual([
      "SEARCH sessions_epochs USING INDEX sqlite_autoindex_sessions_epochs_1 (scope=?)",
      "SEARCH sessions_epochs USING INDEX sqlite_autoindex_sessions_epochs_1 (scope=?)",
    ]);
  });

  it("rotates with one UPDATE ... WHERE id = ? AND version = ?: compare-and-swap, no read-modify-write", async () => {
    const sessions = createSessions({ store, now: () => clock.now });
    const { token } = await sessions.create({ userId: "rotating" });
    clock.now += 5 * MINUTE;
    statements.length = 0;
    const rotated = await sessions.validate(token);
    expect(rotated.ok && rotated.token).toBeTruthy();
    expect(statements.map((s) => s.sql.split(" ")[0])).toEqual(["select", "update"]);
    expect(statements[1]?.sql).toMatch(
      /where \("sessions"\."id" = \? and "sessions"\."version" = \? and "sessions"\."user_id" is \? and "sessions"\."expires_at" > \?\) returning "id"$/,
    );
    expect(statements.some((s) => /begin|savepoint/i.test(s.sql))).toBe(false);
  });

  it("lets exactly one of two writers holding the same version win", async () => {
    const record = makeRecord();
    await store.create(record);
    const first = { ...record, version: 2, data: { writer: "first" } };
    const second = { ...record, version: 2, data: { writer: "second" } };
    expect(await store.update(first, 1)).toBe(true);
    expect(await store.update(second, 1)).toBe(false);
    expect((await store.get(record.id))?.data).toEqual({ writer: "first" });
  });

  it("judges expiry by the store's clock, not SQLite's", async () => {
    clock.now = Date.now() - 24 * 60 * MINUTE; // a day behind the machine
    const record = makeRecord({ expiresAt: clock.now + MINUTE });
    await store.create(record);
    expect(await store.get(record.id)).toEqual(record);
    clock.now += MINUTE;
    expect(await store.get(record.id)).toBeNull();
    expect(await store.listByUser(record.userId)).toEqual([]);
    expect(await store.update({ ...record, version: 2 }, 1)).toBe(false);
  });

  it("refuses a live duplicate id but replaces an expired row in the same statement", async () => {
    const old = makeRecord({ expiresAt: clock.now + MINUTE });
    await store.create(old);
    await expect(store.create(makeRecord({ id: old.id }))).rejects.toBeInstanceOf(
      SessionConflictError,
    );
    clock.now += 2 * MINUTE;
    const again = makeRecord({ id: old.id, expiresAt: clock.now + MINUTE });
    statements.length = 0;
    await store.create(again);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.sql).toMatch(
      /^insert .* on conflict \("sessions"\."id"\) do update set .* where "sessions"\."expires_at" <= \? returning "id"$/,
    );
    expect(await store.get(old.id)).toEqual(again);
    expect(await store.listByUser(old.userId)).toEqual([]);
  });

  it("keeps times as integer epoch milliseconds and JSON as text", async () => {
    const record = makeRecord({ data: { role: "member" } });
    await store.create(record);
    const row = client
      .prepare(
        "select typeof(expires_at) as t, expires_at, data, retired_secret_hashes from sessions where id = ?",
      )
      .get(record.id);
    expect(row).toEqual({
      t: "integer",
      expires_at: record.expiresAt,
      data: '{"role":"member"}',
      retired_secret_hashes: JSON.stringify(record.retiredSecretHashes),
    });
  });

  it("deletes a user's expired rows along with the live ones, counting only the live", async () => {
    const userId = `revoker-${clock.now}`;
    const live = [makeRecord({ userId }), makeRecord({ userId })];
    const expired = makeRecord({ userId, expiresAt: clock.now + 1000 });
    for (const record of [...live, expired]) await store.create(record);
    clock.now += 2000;
    expect(await store.deleteByUser(userId)).toBe(2);
    expect(
      client.prepare("select count(*) as n from sessions where user_id = ?").get(userId),
    ).toEqual({ n: 0 });
  });

  it("treats a null exceptId like a missing one (a caller's JSON round trip)", async () => {
    const userId = `null-except-${clock.now}`;
    for (let i = 0; i < 2; i++) await store.create(makeRecord({ userId }));
    expect(await store.deleteByUser(userId, null as unknown as undefined)).toBe(2);
  });

  it("lists and revokes a user's sessions through the user_id index", async () => {
    const sessions = createSessions({ store });
    await sessions.create({ userId: "indexed" });
    statements.length = 0;
    await sessions.list("indexed");
    await sessions.revokeAll("indexed");
    // list; then revokeAll's read of the index (to name the sessions it ends) and its delete
    // (its raise of the user's epoch is a primary-key upsert on the epochs table).
    const onSessions = statements.filter(({ sql }) => !sql.includes("sessions_epochs"));
    expect(onSessions).toHaveLength(3);
    for (const { sql, params } of onSessions) {
      expect(plan(client, sql, params)).toMatch(
        /USING (COVERING )?INDEX sessions_user_id_idx \(user_id=\?\)/,
      );
    }
  });
});

describe("purgeExpired (for scheduled jobs)", () => {
  const { client, db, statements } = loggedDatabase("purge");
  const table = sessionsTable("purged");
  const clock = { now: Date.now() };
  const store = new SQLiteStore({ db, table, now: () => clock.now });

  beforeAll(async () => {
    await migrate(db, { table });
  });
  afterAll(() => {
    client.close();
  });

  it("removes every expired row in bounded batches, counts them and spares the live ones", async () => {
    clock.now = Date.now();
    const expired = Array.from({ length: 25 }, () => makeRecord({ expiresAt: clock.now + 1000 }));
    const live = Array.from({ length: 3 }, () => makeRecord({ expiresAt: clock.now + MINUTE }));
    for (const record of [...expired, ...live]) await store.create(record);
    clock.now += 2000;
    statements.length = 0;
    expect(await store.purgeExpired({ batchSize: 10 })).toBe(25);
    // 10 + 10 + 5: each statement deletes at most one batch, through the expires_at index.
    expect(statements.map((s) => s.params.at(-1))).toEqual([10, 10, 10]);
    expect(plan(client, statements[0]!.sql, statements[0]!.params)).toContain(
      "USING INDEX purged_expires_at_idx (expires_at<?)",
    );
    expect(await store.purgeExpired()).toBe(0);
    const ids = client.prepare("select id from purged").all() as { id: string }[];
    expect(ids.map((r) => r.id).sort()).toEqual(live.map((r) => r.id).sort());
  });

  it("refuses a batch size that is not a positive integer", async () => {
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      await expect(store.purgeExpired({ batchSize })).rejects.toMatchObject({
        code: "invalid-argument",
      });
    }
  });
});

describe("the table: SQL, drizzle definition and custom tables", () => {
  const describeTable = (client: Database.Database, name: string) => ({
    columns: client.prepare(`select * from pragma_table_info(?)`).all(name),
    indexes: (
      client
        .prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = ?")
        .all(name) as { name: string; sql: string | null }[]
    )
      .map((index) => ({
        name: index.name.replace(name, "<table>"),
        columns: client.prepare("select name from pragma_index_info(?)").all(index.name),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  });

  it("gives drizzle-kit the very table createTableSql creates", async () => {
    const client = new Database(":memory:");
    const { generateSQLiteDrizzleJson, generateSQLiteMigration } = await import("drizzle-kit/api");
    const migration = await generateSQLiteMigration(
      await generateSQLiteDrizzleJson({}),
      await generateSQLiteDrizzleJson({ sessions: sessionsTable("kit_made") }),
    );
    for (const statement of migration) client.exec(statement);
    client.exec(createTableSql("sql_made"));
    expect(describeTable(client, "sql_made")).toEqual(describeTable(client, "kit_made"));
    expect(describeTable(client, "sql_made").indexes.map((i) => i.name)).toEqual([
      "<table>_expires_at_idx",
      "<table>_user_id_idx",
      "sqlite_autoindex_<table>_1",
    ]);
    client.close();
  });

  it("ships plain SQL migration files: 0000 then 0001 make the table createTableSql makes", () => {
    const client = new Database(":memory:");
    client.exec(migrationFile("0000_tessera_sessions.sql"));
    client.exec(migrationFile("0001_tessera_policies.sql"));
    const shipped = {
      ...describeTable(client, "sessions"),
      epochs: describeTable(client, "sessions_epochs"),
    };
    const fresh = new Database(":memory:");
    fresh.exec(createTableSql());
    expect(shipped).toEqual({
      ...describeTable(fresh, "sessions"),
      epochs: describeTable(fresh, "sessions_epochs"),
    });
    client.close();
    fresh.close();
  });

  it("migrates idempotently, one statement per call", async () => {
    const { client, db } = loggedDatabase("idempotent");
    await migrate(db);
    await migrate(db);
    expect(createTableStatements()).toHaveLength(4);
    expect(describeTable(client, "sessions").columns).toHaveLength(21);
    client.close();
  });

  it("works on a renamed table and on the application's own table definition", async () => {
    const { client, db } = loggedDatabase("custom");
    const renamedTable = sessionsTable("my_sessions");
    await migrate(db, { table: renamedTable });
    const ownTable = appTable();
    client.exec(createTableSql("app_sessions"));
    client.exec("alter table app_sessions add column label text");
    for (const table of [renamedTable, ownTable as unknown as SessionsTable]) {
      const sessions = createSessions({ store: new SQLiteStore({ db, table }) });
      const { session, token } = await sessions.create({ userId: "custom" });
      expect((await sessions.validate(token)).ok).toBe(true);
      expect(await sessions.revokeAll("custom")).toBe(1);
      expect(await new SQLiteStore({ db, table }).get(session.id)).toBeNull();
    }
    client.close();
  });
});

/** The application's own definition of the table, with one extra column of its own. */
function appTable() {
  const at = (name: string) => integer(name, { mode: "number" }).notNull();
  return sqliteTable("app_sessions", {
    id: text("id").primaryKey(),
    userId: text("user_id"),
    version: integer("version", { mode: "number" }).notNull(),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    rotationNonce: text("rotation_nonce"),
    retiredSecretHashes: text("retired_secret_hashes", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default([]),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: at("created_at"),
    authenticatedAt: at("authenticated_at"),
    freshUntil: at("fresh_until"),
    lastActiveAt: at("last_active_at"),
    rotatedAt: at("rotated_at"),
    expiresAt: at("expires_at"),
    absoluteExpiresAt: at("absolute_expires_at"),
    clientIp: text("client_ip"),
    clientUa: text("client_ua"),
    clientDeviceId: text("client_device_id"),
    dbsc: text("dbsc", { mode: "json" }),
    policy: text("policy").notNull().default("default"),
    impersonatedBy: text("impersonated_by"),
    label: text("label"),
  });
}

describe("a table that is missing or made by an older migration: TesseraConfigError, checked once", () => {
  it("names migrate() when the table does not exist, and finds it once created", async () => {
    const { client, db } = loggedDatabase("missing");
    const sessions = createSessions({ store: new SQLiteStore({ db }) });
    const failure = await sessions.create({ userId: "early" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraConfigError);
    expect((failure as Error).message).toMatch(
      /^SQLite table "sessions" does not exist: run migrate\(db\) from @tessera\/sqlite\/setup, or createTableSql\(\)/,
    );
    await expect(sessions.list("early")).rejects.toBeInstanceOf(TesseraConfigError);
    await migrate(db);
    expect((await sessions.create({ userId: "later" })).session.userId).toBe("later");
    client.close();
  });

  it("names the missing dbsc column and the statement that adds it; migrate() adds it", async () => {
    const { client, db } = loggedDatabase("old");
    client.exec(createTableSql());
    client.exec("alter table sessions drop column dbsc");
    const store = new SQLiteStore({ db });
    const failure = await store.get("any").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraConfigError);
    expect((failure as Error).message).toBe(
      'SQLite table "sessions" lacks "dbsc": it was made by an older migration; run migrate(db) from @tessera/sqlite/setup, or: ALTER TABLE "sessions" ADD COLUMN "dbsc" text',
    );
    await migrate(db);
    const record = makeRecord({
      dbsc: { key: null, challenges: [], spent: [], cookies: [], registeredAt: null },
    });
    await store.create(record);
    expect(await store.get(record.id)).toEqual(record);
    client.close();
  });

  it("refuses a column declared with another type (times kept as text)", async () => {
    const { client, db } = loggedDatabase("wrong-type");
    client.exec(createTableSql().replace('"expires_at" integer', '"expires_at" text'));
    const failure = await new SQLiteStore({ db }).get("any").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraConfigError);
    expect((failure as Error).message).toBe(
      'SQLite table "sessions": column "expires_at" is declared "TEXT" but the store keeps integer there; recreate the table with createTableSql() from @tessera/sqlite/setup',
    );
    client.close();
  });

  it("checks the table before the first statement only", async () => {
    const { client, db, statements } = loggedDatabase("checked-once");
    await migrate(db);
    statements.length = 0;
    const sessions = createSessions({ store: new SQLiteStore({ db }) });
    const { token } = await sessions.create({ userId: "once" });
    await sessions.validate(token);
    await sessions.validate(token);
    expect(statements.map((s) => s.sql.split(" ")[0])).toEqual([
      "select", // pragma_table_info of the sessions table
      "select", // and of the epochs table
      "insert",
      "select", // create's read of the epochs after its insert
      "select", // each validate: one statement
      "select",
    ]);
    expect(statements[0]?.sql).toContain("pragma_table_info");
    client.close();
  });
});

describe("a table made before guests and policies (0000 alone): migrated in place", () => {
  const oldRow = (client: Database.Database) => {
    const record = makeRecord();
    client
      .prepare(
        `insert into sessions (id, user_id, version, secret_hash, retired_secret_hashes, data,
           created_at, authenticated_at, fresh_until, last_active_at, rotated_at, expires_at,
           absolute_expires_at, client_ip, client_ua)
         values (?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.userId,
        record.version,
        record.secretHash,
        JSON.stringify(record.data),
        record.createdAt,
        record.authenticatedAt,
        record.freshUntil,
        record.lastActiveAt,
        record.rotatedAt,
        record.expiresAt,
        record.absoluteExpiresAt,
        record.client.ip ?? null,
        record.client.ua ?? null,
      );
    return record;
  };

  it("refuses the old table, naming the migration; migrate() rebuilds it with its rows", async () => {
    const { client, db, statements } = loggedDatabase("pre-policies");
    client.exec(migrationFile("0000_tessera_sessions.sql"));
    const before = oldRow(client);
    const store = new SQLiteStore({ db });
    const failure = await store.get(before.id).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraConfigError);
    expect((failure as Error).message).toContain('lacks "policy", "impersonated_by"');
    expect((failure as Error).message).toContain('column "user_id" is NOT NULL');
    statements.length = 0;
    await migrate(db);
    expect(statements.map((s) => s.sql)).toContain("BEGIN IMMEDIATE");
    expect(await store.get(before.id)).toEqual({
      ...before,
      policy: "default",
      impersonatedBy: null,
    });
    const guest = makeRecord({ userId: null, policy: "guest" });
    await store.create(guest);
    expect(await store.get(guest.id)).toEqual(guest);
    await store.raiseEpoch(null, 7);
    expect(await store.getWithEpochs(before.id)).toMatchObject({ epochs: { global: 7, user: 0 } });
    // Indexes came back with the rebuilt table, and a second migrate changes nothing.
    expect(plan(client, "select id from sessions where user_id = ?", ["u"])).toContain(
      "sessions_user_id_idx",
    );
    statements.length = 0;
    await migrate(db);
    expect(statements.map((s) => s.sql)).not.toContain("BEGIN IMMEDIATE");
    client.close();
  });

  it("the shipped 0001 file does the same on the default table", async () => {
    const { client, db } = loggedDatabase("pre-policies-file");
    client.exec(migrationFile("0000_tessera_sessions.sql"));
    const before = oldRow(client);
    client.exec(migrationFile("0001_tessera_policies.sql"));
    const store = new SQLiteStore({ db });
    expect(await store.get(before.id)).toEqual({
      ...before,
      policy: "default",
      impersonatedBy: null,
    });
    await store.create(makeRecord({ userId: null }));
    client.close();
  });
});

describe("SQLiteStore options", () => {
  it("refuses anything but a drizzle SQLite database or table", () => {
    expect(() => new SQLiteStore({ db: {} as never })).toThrow(TesseraConfigError);
    expect(() => new SQLiteStore(undefined as never)).toThrow(TesseraConfigError);
    const db = drizzle({ client: new Database(":memory:") });
    expect(() => new SQLiteStore({ db, table: {} as never })).toThrow(TesseraConfigError);
    expect(() => new SQLiteStore({ db, now: 5 as never })).toThrow(TesseraConfigError);
  });

  it("refuses table names SQLite reserves, and empty ones", () => {
    expect(() => sessionsTable("")).toThrow(TesseraConfigError);
    expect(() => sessionsTable("sqlite_sessions")).toThrow(TesseraConfigError);
    expect(() => createTableSql("a\0b")).toThrow(TesseraConfigError);
  });

  it("quotes names in the SQL it generates", () => {
    expect(createTableSql('odd"name')).toContain('CREATE TABLE IF NOT EXISTS "odd""name" (');
  });
});
