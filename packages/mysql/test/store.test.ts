import { readFileSync } from "node:fs";
import {
  createSessions,
  InvalidArgumentError,
  SessionConflictError,
  TesseraConfigError,
} from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { getTableConfig } from "drizzle-orm/mysql-core";
import { drizzle } from "drizzle-orm/mysql2";
import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { toDatetime } from "../src/codec.js";
import { MySQLStore } from "../src/index.js";
import {
  createTableSql,
  createTableStatements,
  epochsTable,
  migrate,
  sessionsTable,
  tesseraSessions,
} from "../src/setup.js";
import { describeServer, server, testPool } from "./support.js";

const MINUTE = 60_000;
/** The ten digits as a derived table, to make rows in plain SQL on MySQL and MariaDB alike. */
const DIGITS = `(select 0 d union all ${Array.from({ length: 9 }, (_, i) => `select ${i + 1}`).join(" union all ")})`;

describeServer("MySQLStore on MariaDB: the SQL it runs", () => {
  const pool = testPool();
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = drizzle({
    client: pool,
    logger: { logQuery: (query, params) => statements.push({ sql: query, params }) },
  });
  const table = sessionsTable("sessions");
  const clock = { now: Date.now() };
  const store = new MySQLStore({ db, table, now: () => clock.now });

  beforeAll(async () => {
    await migrate(db, { table });
    // A table of realistic size, so that the optimizer's choices are the ones production sees.
    await migrate(db, { table: sessionsTable("planned") });
    await pool.query(
      `insert into planned (id, user_id, version, secret_hash, retired_secret_hashes, data,
         expires_at, absolute_expires_at, created_at, authenticated_at, fresh_until,
         last_active_at, rotated_at)
       select concat('id', i), concat('user', i % 500), 1, 'hash', '[]', '{}',
         utc_timestamp(3) + interval i minute, utc_timestamp(3) + interval 30 day,
         utc_timestamp(3), utc_timestamp(3), utc_timestamp(3), utc_timestamp(3), utc_timestamp(3)
       from (select a.d + 10 * b.d + 100 * c.d + 1000 * e.d as i from ${DIGITS} a, ${DIGITS} b,
         ${DIGITS} c, ${DIGITS} e) n
       where i < 5000`,
    );
    await pool.query("analyze table planned");
    // The store checks the table once, on first use: out of the way of the counted statements.
    await store.get("warm-up");
  });
  beforeEach(() => {
    clock.now = Date.now();
    statements.length = 0;
  });
  afterAll(async () => {
    await pool.end();
  });

  /** The optimizer's plan for `statement` run on the 5000-row table. */
  const explain = async (statement: string, params: unknown[]) => {
    const [rows] = await pool.query<RowDataPacket[]>(
      `explain ${statement.replaceAll("`sessions`", "`planned`")}`,
      params,
    );
    return rows;
  };

  it("validates with a single primary-key SELECT and no write", async () => {
    const sessions = createSessions({ store, now: () => clock.now });
    const { token } = await sessions.create({ userId: "hot-path" });
    clock.now += MINUTE;
    statements.length = 0;
    expect((await sessions.validate(token)).ok).toBe(true);
    expect(statements).toHaveLength(1);
    const [select] = statements;
    expect(select?.sql).toMatch(
      /^select .* from `sessions` where \(`sessions`\.`id` = \? and `sessions`\.`expires_at` > \?\)$/,
    );
    const [plan] = await explain(select!.sql, ["id42", "2026-01-01 00:00:00.000"]);
    expect(plan).toMatchObject({ type: "const", key: "PRIMARY" });
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
      /where \(`sessions`\.`id` = \? and `sessions`\.`version` = \? and `sessions`\.`user_id` <=> \? and `sessions`\.`expires_at` > \?\)$/,
    );
    expect(statements[1]?.sql).not.toMatch(/for update|begin|returning/i);
  });

  it("judges expiry by the store's clock, not the database server's", async () => {
    clock.now = Date.now() - 24 * 60 * MINUTE; // a day behind the server
    const record = makeRecord({ expiresAt: clock.now + MINUTE });
    await store.create(record);
    expect(await store.get(record.id)).toEqual(record);
    clock.now += MINUTE;
    expect(await store.get(record.id)).toBeNull();
    expect(await store.listByUser(record.userId)).toEqual([]);
  });

  it("keeps every time to the millisecond, whatever the session's time_zone", async () => {
    const record = makeRecord({ expiresAt: Date.UTC(2031, 2, 30, 1, 30, 0, 7) });
    await pool.query("set time_zone = '+05:30'");
    await store.create(record);
    expect(await store.get(record.id)).toEqual(record);
    const [rows] = await pool.query<RowDataPacket[]>(
      "select cast(expires_at as char) as at from sessions where id = ?",
      [record.id],
    );
    // UTC in the column, readable by hand: `where expires_at < utc_timestamp(3)`.
    expect(rows[0]?.at).toBe("2031-03-30 01:30:00.007");
  });

  it("refuses a live duplicate id but replaces an expired row", async () => {
    const old = makeRecord({ expiresAt: clock.now + MINUTE });
    await store.create(old);
    await expect(store.create(makeRecord({ id: old.id }))).rejects.toBeInstanceOf(
      SessionConflictError,
    );
    clock.now += 2 * MINUTE;
    const again = makeRecord({ id: old.id, expiresAt: clock.now + MINUTE });
    await store.create(again);
    expect(await store.get(old.id)).toEqual(again);
    expect(await store.listByUser(old.userId)).toEqual([]);
  });

  it("creates with a single INSERT when the id is new", async () => {
    statements.length = 0;
    await store.create(makeRecord());
    expect(statements.map((s) => s.sql.split(" ")[0])).toEqual(["insert"]);
  });

  it("counts only the live sessions it ends, and leaves expired rows to purgeExpired", async () => {
    const userId = `revoker-${clock.now}`;
    const live = [makeRecord({ userId }), makeRecord({ userId })];
    const expired = makeRecord({ userId, expiresAt: clock.now + 1000 });
    for (const record of [...live, expired]) await store.create(record);
    clock.now += 2000;
    expect(await store.deleteByUser(userId, live[0]?.id)).toBe(1);
    expect(await store.deleteByUser(userId)).toBe(1);
    expect(await store.listByUser(userId)).toEqual([]);
  });

  it("keeps user ids apart byte for byte: case and trailing spaces make another user", async () => {
    const users = ["Alice", "alice", "alice ", "ålice"];
    for (const userId of users) await store.create(makeRecord({ userId }));
    for (const userId of users) {
      expect((await store.listByUser(userId)).map((r) => r.userId)).toEqual([userId]);
    }
    expect(await store.deleteByUser("alice")).toBe(1);
    expect(await store.listByUser("Alice")).toHaveLength(1);
    expect(await store.listByUser("alice ")).toHaveLength(1);
  });

  it("refuses ids wider than their columns instead of letting a server truncate them", async () => {
    await expect(store.create(makeRecord({ id: "x".repeat(256) }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.create(makeRecord({ userId: "é".repeat(513) }))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    // Core's longest user id (256 characters) fits, whatever they are.
    const widest = makeRecord({ userId: "é".repeat(256) });
    await store.create(widest);
    expect(await store.get(widest.id)).toEqual(widest);
  });

  it("purges through the expires_at index", async () => {
    statements.length = 0;
    await store.purgeExpired({ batchSize: 10 });
    const [purge] = statements;
    expect(purge?.sql).toMatch(/^delete from `sessions` where .*`expires_at` <= \? order by/);
    const [plan] = await explain(purge!.sql, [toDatetime(Date.now() + 60 * MINUTE), 10]);
    expect(plan?.key).toBe("expires_at_idx");
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
    for (const { sql } of onSessions) {
      const params = sql.includes("<>")
        ? ["user7", "id1", "2026-01-01 00:00:00.000"]
        : ["user7", "2026-01-01 00:00:00.000"];
      const [plan] = await explain(sql, params);
      expect(plan?.key, sql).toBe("user_id_idx");
    }
  });
});

describeServer("compare-and-swap and the client's found-rows flag", () => {
  const pools = { found: testPool(), changed: testPool({ flags: ["-FOUND_ROWS"] }) };
  const table = sessionsTable("found_rows");

  beforeAll(async () => {
    await migrate(drizzle({ client: pools.found }), { table });
  });
  afterAll(async () => {
    await Promise.all(Object.values(pools).map((pool) => pool.end()));
  });

  it("counts matched rows by default and changed rows without FOUND_ROWS", async () => {
    // What the store relies on, shown on the driver itself: a write that changes nothing.
    const record = makeRecord();
    await new MySQLStore({ db: drizzle({ client: pools.found }), table }).create(record);
    const noop = "update found_rows set version = version where id = ?";
    const [found] = await pools.found.query<ResultSetHeader>(noop, [record.id]);
    const [changed] = await pools.changed.query<ResultSetHeader>(noop, [record.id]);
    expect([found.affectedRows, changed.affectedRows]).toEqual([1, 0]);
  });

  for (const flag of ["found", "changed"] as const) {
    it(`writes exactly once from one version, counting ${flag} rows`, async () => {
      const store = new MySQLStore({ db: drizzle({ client: pools[flag] }), table });
      const record = makeRecord();
      await store.create(record);
      const next = { ...record, version: 2, data: { role: "admin" } };
      const attempts = await Promise.all(
        Array.from({ length: 8 }, () => store.update({ ...next }, 1)),
      );
      expect(attempts.filter(Boolean)).toHaveLength(1);
      expect(await store.update({ ...next, version: 3 }, 1)).toBe(false);
      expect(await store.get(record.id)).toEqual(next);
    });
  }
});

describeServer("purgeExpired (for cron jobs)", () => {
  const pool = testPool();
  const statements: string[] = [];
  const db = drizzle({ client: pool, logger: { logQuery: (query) => statements.push(query) } });
  const table = sessionsTable("cron");
  const clock = { now: Date.now() };
  const store = new MySQLStore({ db, table, now: () => clock.now });

  beforeAll(async () => {
    await migrate(db, { table });
  });
  afterAll(async () => {
    await pool.end();
  });

  it("removes every expired row, batch by batch, counts them and spares the live ones", async () => {
    clock.now = Date.now();
    const expired = Array.from({ length: 25 }, () => makeRecord({ expiresAt: clock.now + 1000 }));
    const live = Array.from({ length: 3 }, () => makeRecord({ expiresAt: clock.now + MINUTE }));
    await Promise.all([...expired, ...live].map((record) => store.create(record)));
    clock.now += 2000;
    statements.length = 0;
    expect(await store.purgeExpired({ batchSize: 10 })).toBe(25);
    // 10 + 10 + 5: the short batch ends the run.
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(
      /^delete from `cron` where `cron`\.`expires_at` <= \? order by `cron`\.`expires_at` limit \?$/,
    );
    expect(await store.purgeExpired()).toBe(0);
    const [rows] = await pool.query<RowDataPacket[]>("select cast(id as char) as id from cron");
    expect(rows.map((r) => r.id).sort()).toEqual(live.map((r) => r.id).sort());
  });

  it("lets two cron runs at once share the work without counting a row twice", async () => {
    clock.now = Date.now();
    const expired = Array.from({ length: 60 }, () => makeRecord({ expiresAt: clock.now + 1000 }));
    await Promise.all(expired.map((record) => store.create(record)));
    clock.now += 2000;
    const [a, b] = await Promise.all([
      store.purgeExpired({ batchSize: 5 }),
      store.purgeExpired({ batchSize: 5 }),
    ]);
    expect(a + b).toBe(60);
  });

  it("refuses a batch that is not a positive integer", async () => {
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      await expect(store.purgeExpired({ batchSize })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});

describeServer("the table: SQL, drizzle definition, migrations and custom tables", () => {
  const pool = testPool();
  const db = drizzle({ client: pool });

  afterAll(async () => {
    await pool.end();
  });

  /** The table as the server describes it, with the table's own name written as <table>. */
  const describeTable = async (name: string) => {
    const [columns] = await pool.query<RowDataPacket[]>(
      `select column_name, column_type, is_nullable, character_set_name
       from information_schema.columns where table_schema = database() and table_name = ?
       order by ordinal_position`,
      [name],
    );
    const [indexes] = await pool.query<RowDataPacket[]>(
      `select index_name, column_name, non_unique from information_schema.statistics
       where table_schema = database() and table_name = ? order by index_name, seq_in_index`,
      [name],
    );
    return { columns, indexes };
  };

  it("gives drizzle-kit the very table createTableSql creates", async () => {
    const { generateMySQLDrizzleJson, generateMySQLMigration } = await import("drizzle-kit/api");
    const migration = await generateMySQLMigration(
      await generateMySQLDrizzleJson({}),
      await generateMySQLDrizzleJson({
        sessions: sessionsTable("kit_made"),
        epochs: epochsTable("kit_made"),
      }),
    );
    for (const statement of migration) await pool.query(statement);
    for (const statement of createTableStatements("sql_made")) await pool.query(statement);
    const kit = await describeTable("kit_made");
    const made = await describeTable("sql_made");
    expect(kit.indexes).toEqual(made.indexes);
    expect(kit.columns.map(({ column_name }) => column_name)).toEqual(
      made.columns.map(({ column_name }) => column_name),
    );
    expect(kit.columns).toEqual(made.columns);
    expect(await describeTable("kit_made_epochs")).toEqual(await describeTable("sql_made_epochs"));
    // And the store accepts both.
    for (const name of ["kit_made", "sql_made"]) {
      const store = new MySQLStore({ db, table: sessionsTable(name) });
      const record = makeRecord();
      await store.create(record);
      expect(await store.get(record.id)).toEqual(record);
    }
  });

  it("ships the default table as plain SQL migration files, 0000, 0001 then 0002", () => {
    const read = (name: string) =>
      readFileSync(new URL(`../migrations/${name}`, import.meta.url), "utf8");
    const [createTable, addDbsc, ...policies] = createTableStatements();
    expect(read("0000_tessera_sessions.sql")).toContain(`${createTable};`);
    expect(read("0001_tessera_dbsc.sql")).toContain(`${addDbsc};`);
    expect(read("0002_tessera_policies.sql")).toContain(`${policies.join(";\n\n")};`);
    expect(createTableSql()).toBe(`${[createTable, addDbsc, ...policies].join(";\n\n")};\n`);
    expect(getTableConfig(tesseraSessions).name).toBe("sessions");
  });

  it("migrates idempotently, even from several processes starting at once", async () => {
    const table = sessionsTable("raced");
    await Promise.all(Array.from({ length: 4 }, () => migrate(db, { table })));
    await migrate(db, { table });
    const stores = Array.from({ length: 3 }, () => new MySQLStore({ db, table }));
    const record = makeRecord();
    await stores[1]?.create(record);
    expect(await stores[2]?.get(record.id)).toEqual(record);
  });

  it("brings a table made by migration 0000 up to date, keeping its sessions", async () => {
    const [createTable] = createTableStatements("old_made");
    await pool.query(createTable);
    await pool.query(
      `insert into old_made (id, user_id, version, secret_hash, retired_secret_hashes, data,
         expires_at, absolute_expires_at, created_at, authenticated_at, fresh_until,
         last_active_at, rotated_at)
       values ('kept', 'u', 1, 'h', '[]', '{}', utc_timestamp(3) + interval 1 day,
         utc_timestamp(3) + interval 1 day, utc_timestamp(3), utc_timestamp(3),
         utc_timestamp(3), utc_timestamp(3), utc_timestamp(3))`,
    );
    await migrate(db, { table: sessionsTable("old_made") });
    const store = new MySQLStore({ db, table: sessionsTable("old_made") });
    expect(await store.get("kept")).toMatchObject({
      id: "kept",
      userId: "u",
      dbsc: null,
      policy: "default",
      impersonatedBy: null,
    });
    // The upgraded table takes guests, the new fields and epochs.
    const guest = makeRecord({ userId: null, policy: "guest" });
    const impersonation = makeRecord({ policy: "impersonation", impersonatedBy: "admin-1" });
    await store.create(guest);
    await store.create(impersonation);
    expect(await store.get(guest.id)).toEqual(guest);
    expect(await store.get(impersonation.id)).toEqual(impersonation);
    await store.raiseEpoch("u", 9);
    expect(await store.getWithEpochs("kept")).toMatchObject({ epochs: { user: 9 } });
  });

  it("works on the application's own table in another database", async () => {
    const database = `${server?.database}_other`;
    await pool.query(`create database \`${database}\``);
    try {
      const table = sessionsTable("app_sessions", { database });
      await migrate(db, { table });
      await pool.query(`alter table \`${database}\`.app_sessions add column label text`);
      const sessions = createSessions({ store: new MySQLStore({ db, table }) });
      const { token } = await sessions.create({ userId: "custom" });
      expect((await sessions.validate(token)).ok).toBe(true);
      expect(await sessions.revokeAll("custom")).toBe(1);
    } finally {
      await pool.query(`drop database \`${database}\``);
    }
  });
});

describe("MySQLStore options", () => {
  it("refuses anything but a drizzle MySQL database", () => {
    expect(() => new MySQLStore({ db: {} as never })).toThrow(TesseraConfigError);
    expect(() => new MySQLStore(undefined as never)).toThrow(TesseraConfigError);
  });

  it("refuses table names MySQL would refuse", () => {
    expect(() => sessionsTable("")).toThrow(TesseraConfigError);
    expect(() => sessionsTable("x".repeat(65))).toThrow(TesseraConfigError);
    expect(() => createTableSql("x", { database: "" })).toThrow(TesseraConfigError);
  });

  it("quotes names in the SQL it generates", () => {
    expect(createTableSql("odd`name", { database: "my db" })).toContain(
      "CREATE TABLE IF NOT EXISTS `my db`.`odd``name` (",
    );
  });
});
