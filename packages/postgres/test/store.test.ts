import { readFileSync } from "node:fs";
import { createSessions, SessionConflictError, TesseraConfigError } from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/node-postgres";
import { getTableConfig, integer, jsonb, pgSchema, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostgresStore, type SessionsTable } from "../src/index.js";
import { createTableSql, migrate, sessionsTable, tesseraSessions } from "../src/setup.js";
import { describeServer, qualified, server, testPool } from "./support.js";

const schema = server?.schema ?? "unused";
/** A logged statement without this run's schema name, to compare against readable patterns. */
const plain = (query: string | undefined) => (query ?? "").replaceAll(`"${schema}".`, "");
const MINUTE = 60_000;
/** One of the package's migration files. */
const readMigration = (name: string) =>
  readFileSync(new URL(`../migrations/${name}`, import.meta.url), "utf8");

describeServer("PostgresStore on PostgreSQL: the SQL it runs", () => {
  const pool = testPool();
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = drizzle({
    client: pool,
    logger: { logQuery: (query, params) => statements.push({ sql: query, params }) },
  });
  const table = sessionsTable("sessions", { schema });
  const clock = { now: Date.now() };
  const store = new PostgresStore({ db, table, now: () => clock.now });

  beforeAll(async () => {
    await migrate(db, { table });
    // A table of realistic size, so that the planner's choices are the ones production sees.
    await migrate(db, { table: sessionsTable("planned", { schema }) });
    await pool.query(
      `insert into ${qualified("planned")} (id, user_id, version, secret_hash, expires_at,
         absolute_expires_at, created_at, authenticated_at, fresh_until, last_active_at, rotated_at)
       select 'id' || i, 'user' || (i % 500), 1, 'hash', now() + interval '1 day',
         now() + interval '30 days', now(), now(), now(), now(), now()
       from generate_series(1, 5000) as i`,
    );
    await pool.query(`analyze ${qualified("planned")}`);
  });
  beforeEach(() => {
    clock.now = Date.now();
    statements.length = 0;
  });
  afterAll(async () => {
    await pool.end();
  });

  const rawCount = async (where: string, params: unknown[]) => {
    const { rows } = await pool.query(
      `select count(*)::int as n from ${qualified("sessions")} where ${where}`,
      params,
    );
    return rows[0].n as number;
  };

  it("validates with a single primary-key SELECT and no write", async () => {
    const sessions = createSessions({ store, now: () => clock.now });
    const { token } = await sessions.create({ userId: "hot-path" });
    clock.now += MINUTE;
    statements.length = 0;
    expect((await sessions.validate(token)).ok).toBe(true);
    expect(statements).toHaveLength(1);
    const [select] = statements;
    expect(plain(select?.sql)).toMatch(
      /^select .* from "sessions" where \("sessions"\."id" = \$1 and "sessions"\."expires_at" > \$2\)$/,
    );
    // The planner answers it from the primary key index.
    const plan = await pool.query(
      `explain (format json) ${select?.sql.replaceAll('"sessions"', '"planned"')}`,
      ["id42", new Date().toISOString()],
    );
    const root = plan.rows[0]["QUERY PLAN"][0].Plan;
    expect(root["Node Type"]).toBe("Index Scan");
    expect(root["Index Name"]).toBe("planned_pkey");
  });

  it("rotates with one UPDATE ... WHERE id = $1 AND version = $2: compare-and-swap, no read-modify-write", async () => {
    const sessions = createSessions({ store, now: () => clock.now });
    const { token } = await sessions.create({ userId: "rotating" });
    clock.now += 5 * MINUTE;
    statements.length = 0;
    const rotated = await sessions.validate(token);
    expect(rotated.ok && rotated.token).toBeTruthy();
    expect(statements.map((s) => s.sql.split(" ")[0])).toEqual(["select", "update"]);
    const update = plain(statements[1]?.sql);
    expect(update).toMatch(
      /where \("sessions"\."id" = \$\d+ and "sessions"\."version" = \$\d+ and "sessions"\."user_id" is not distinct from \$\d+ and "sessions"\."expires_at" > \$\d+\) returning "id"$/,
    );
    expect(update).not.toMatch(/for update|begin/i);
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
    expect(plain(statements[0]?.sql)).toMatch(
      /^insert .* on conflict \("id"\) do update set .* where "sessions"\."expires_at" <= \$\d+ returning "id"$/,
    );
    expect(await store.get(old.id)).toEqual(again);
    expect(await store.listByUser(old.userId)).toEqual([]);
  });

  it("deletes a user's expired rows along with the live ones, counting only the live", async () => {
    const userId = `revoker-${clock.now}`;
    const live = [makeRecord({ userId }), makeRecord({ userId })];
    const expired = makeRecord({ userId, expiresAt: clock.now + 1000 });
    for (const record of [...live, expired]) await store.create(record);
    clock.now += 2000;
    expect(await store.deleteByUser(userId)).toBe(2);
    expect(await rawCount("user_id = $1", [userId])).toBe(0);
  });

  it("lists and revokes a user's sessions through the user_id index", async () => {
    const sessions = createSessions({ store });
    await sessions.create({ userId: "indexed" });
    statements.length = 0;
    await sessions.list("indexed");
    await sessions.revokeAll("indexed");
    // list; then revokeAll's read of the index (to name the sessions it ends) and its delete.
    expect(statements).toHaveLength(3);
    for (const { sql } of statements) {
      const plan = await pool.query(
        `explain (format json) ${sql.replaceAll('"sessions"', '"planned"')}`,
        sql.includes("$2") ? ["user7", new Date().toISOString()] : ["user7"],
      );
      expect(JSON.stringify(plan.rows[0]["QUERY PLAN"])).toContain("planned_user_id_idx");
    }
  });

  it("keeps a fresh session under 300 bytes per row (pg_column_size)", async () => {
    const sessions = createSessions({ store });
    const { session } = await sessions.create({
      userId: "user_2f9c1b7e4a",
      data: { role: "member" },
      client: {
        ip: "203.0.113.7",
        userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
      },
    });
    const { rows } = await pool.query(
      `select pg_column_size(s.*) as bytes from ${qualified("sessions")} s where id = $1`,
      [session.id],
    );
    expect(rows[0].bytes).toBeLessThan(300);
  });
});

describeServer("guests, policies and revocation epochs in SQL", () => {
  const pool = testPool();
  const statements: string[] = [];
  const db = drizzle({ client: pool, logger: { logQuery: (query) => statements.push(query) } });
  const table = sessionsTable("epochs_sql", { schema });
  const store = new PostgresStore({ db, table });

  beforeAll(async () => {
    await migrate(db, { table });
  });
  beforeEach(() => {
    statements.length = 0;
  });
  afterAll(async () => {
    await pool.end();
  });

  it("reads a session with both epochs in one SELECT (scalar subqueries on the epochs table)", async () => {
    const record = makeRecord();
    await store.create(record);
    await store.raiseEpoch(null, 1000);
    await store.raiseEpoch(record.userId as string, 2000);
    statements.length = 0;
    expect(await store.getWithEpochs(record.id)).toEqual({
      record,
      epochs: { global: 1000, user: 2000 },
    });
    expect(statements).toHaveLength(1);
    expect(plain(statements[0])).toMatch(
      /^select .*\(select "epochs_sql_epochs"\."revoked_before" from "epochs_sql_epochs" where "epochs_sql_epochs"\."scope" = ''\).*"epochs_sql_epochs"\."scope" = "epochs_sql"\."user_id"\).* from "epochs_sql" where \("epochs_sql"\."id" = \$1 and "epochs_sql"\."expires_at" > \$2\)$/,
    );
  });

  it("raises an epoch with one upsert that keeps the greater value (GREATEST)", async () => {
    const userId = `raiser-${Date.now()}`;
    const { global } = await store.readEpochs(null);
    statements.length = 0;
    await store.raiseEpoch(userId, 5000);
    await store.raiseEpoch(userId, 3000);
    expect(statements).toHaveLength(2);
    expect(plain(statements[0])).toMatch(
      /^insert into "epochs_sql_epochs" .* on conflict \("scope"\) do update set "revoked_before" = greatest\("epochs_sql_epochs"\."revoked_before", excluded\."revoked_before"\)$/,
    );
    expect(await store.readEpochs(userId)).toEqual({ global, user: 5000 });
    const { rows } = await pool.query(
      `select scope, revoked_before::float8 as at from ${qualified("epochs_sql_epochs")} where scope = $1`,
      [userId],
    );
    expect(rows).toEqual([{ scope: userId, at: 5000 }]);
  });

  it("refuses an empty user id (the global scope's key) and a time that is not whole ms", async () => {
    await expect(store.raiseEpoch("", 1)).rejects.toMatchObject({ code: "invalid-argument" });
    await expect(store.raiseEpoch(null, Number.NaN)).rejects.toMatchObject({
      code: "invalid-argument",
    });
  });

  it("keeps a guest session (user_id NULL) through a compare-and-swap update", async () => {
    const guest = makeRecord({ userId: null, policy: "guest" });
    await store.create(guest);
    const next = { ...guest, version: guest.version + 1, data: { cart: 2 } };
    expect(await store.update(next, guest.version)).toBe(true);
    expect(await store.getWithEpochs(guest.id)).toEqual({
      record: next,
      epochs: { global: expect.any(Number), user: 0 },
    });
    const { rows } = await pool.query(
      `select user_id, policy from ${qualified("epochs_sql")} where id = $1`,
      [guest.id],
    );
    expect(rows).toEqual([{ user_id: null, policy: "guest" }]);
  });
});

describeServer("migration 0002 on a table made by an earlier version", () => {
  const pool = testPool({ max: 1 });
  const db = drizzle({ client: pool });

  afterAll(async () => {
    await pool.end();
  });

  it("upgrades the 0000 + 0001 table in place: old rows read back as policy default", async () => {
    // The old shape exactly as the shipped files made it, under another name in this schema.
    const old = (file: string) => readMigration(file).replaceAll('"sessions', '"legacy');
    await pool.query(`set search_path to "${schema}"`);
    await pool.query(old("0000_tessera_sessions.sql"));
    await pool.query(old("0001_tessera_dbsc.sql"));
    const before = makeRecord();
    await pool.query(
      `insert into legacy (id, user_id, version, secret_hash, retired_secret_hashes, data,
         expires_at, absolute_expires_at, created_at, authenticated_at, fresh_until,
         last_active_at, rotated_at, client_ip)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        before.id,
        before.userId,
        before.version,
        before.secretHash,
        before.retiredSecretHashes,
        before.data,
        ...[
          before.expiresAt,
          before.absoluteExpiresAt,
          before.createdAt,
          before.authenticatedAt,
          before.freshUntil,
          before.lastActiveAt,
          before.rotatedAt,
        ].map((ms) => new Date(ms)),
        before.client.ip ?? null,
      ],
    );
    const table = sessionsTable("legacy", { schema });
    await migrate(db, { table });
    const store = new PostgresStore({ db, table });
    expect(await store.get(before.id)).toEqual({
      ...before,
      policy: "default",
      impersonatedBy: null,
      previousSecretHash: null,
      rotationNonce: null,
      client: before.client.ip === undefined ? {} : { ip: before.client.ip },
      dbsc: null,
    });
    // The upgraded table takes guests, the new fields and epochs.
    const guest = makeRecord({ userId: null, policy: "guest", impersonatedBy: null });
    const impersonation = makeRecord({ policy: "impersonation", impersonatedBy: "admin-1" });
    await store.create(guest);
    await store.create(impersonation);
    expect(await store.get(guest.id)).toEqual(guest);
    expect(await store.get(impersonation.id)).toEqual(impersonation);
    await store.raiseEpoch(null, 42);
    expect(await store.readEpochs(null)).toEqual({ global: 42, user: 0 });
  });
});

describeServer("prepared statements on node-postgres", () => {
  const prepared = async (preparedStatements: boolean) => {
    const pool = testPool({ max: 1 });
    try {
      const db = drizzle({ client: pool });
      const table = sessionsTable("prepared", { schema });
      const store = new PostgresStore({ db, table, preparedStatements });
      await migrate(db, { table });
      const sessions = createSessions({ store });
      const { token } = await sessions.create({ userId: "prepared" });
      expect((await sessions.validate(token)).ok).toBe(true);
      const { rows } = await pool.query("select name from pg_prepared_statements order by name");
      return rows.map((row) => row.name as string);
    } finally {
      await pool.end();
    }
  };

  it("names the store's statements so the server parses and plans them once per connection", async () => {
    const names = await prepared(true);
    // create (and whatever core reads after it), then validate's one read with the epochs.
    expect(names[0]).toMatch(/^tessera_create_[0-9a-z]+$/);
    expect(names).toContainEqual(expect.stringMatching(/^tessera_get_epochs_[0-9a-z]+$/));
    for (const name of names) expect(name).toMatch(/^tessera_[a-z_]+_[0-9a-z]+$/);
  });

  it("prepares nothing by name with preparedStatements: false (for transaction-mode poolers)", async () => {
    expect(await prepared(false)).toEqual([]);
  });
});

describeServer("deleteExpired (for cron jobs)", () => {
  const pool = testPool();
  const db = drizzle({ client: pool });
  const table = sessionsTable("cron", { schema });
  const clock = { now: Date.now() };
  const store = new PostgresStore({ db, table, now: () => clock.now });

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
    expect(await store.deleteExpired({ batchSize: 10 })).toBe(25);
    expect(await store.deleteExpired()).toBe(0);
    const { rows } = await pool.query(`select id from ${qualified("cron")}`);
    expect(rows.map((r) => r.id).sort()).toEqual(live.map((r) => r.id).sort());
  });

  it("lets two cron runs at once share the work without counting a row twice", async () => {
    clock.now = Date.now();
    const expired = Array.from({ length: 60 }, () => makeRecord({ expiresAt: clock.now + 1000 }));
    await Promise.all(expired.map((record) => store.create(record)));
    clock.now += 2000;
    const [a, b] = await Promise.all([
      store.deleteExpired({ batchSize: 5 }),
      store.deleteExpired({ batchSize: 5 }),
    ]);
    expect(a + b).toBe(60);
  });

  it("refuses a batch size that is not a positive integer", async () => {
    await expect(store.deleteExpired({ batchSize: 0 })).rejects.toMatchObject({
      code: "invalid-argument",
    });
  });
});

/** The default columns, with some database names changed: an application's own table. */
function customTable(name: string, userIdColumn: string) {
  const at = (column: string) =>
    timestamp(column, { withTimezone: true, precision: 3, mode: "date" }).notNull();
  return pgSchema(schema).table(name, {
    expiresAt: at("expires_at"),
    absoluteExpiresAt: at("absolute_expires_at"),
    createdAt: at("created_at"),
    authenticatedAt: at("authenticated_at"),
    freshUntil: at("fresh_until"),
    lastActiveAt: at("last_active_at"),
    rotatedAt: at("rotated_at"),
    version: integer("version").notNull(),
    id: text("id").primaryKey(),
    userId: text(userIdColumn),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    rotationNonce: text("rotation_nonce"),
    retiredSecretHashes: text("retired_secret_hashes").array().notNull().default([]),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    clientIp: text("client_ip"),
    clientUa: text("client_ua"),
    clientDeviceId: text("client_device_id"),
    dbsc: jsonb("dbsc"),
    policy: text("policy").notNull().default("default"),
    impersonatedBy: text("impersonated_by"),
    // An extra column of the application's: fine as long as it is nullable or has a default.
    label: text("label"),
  });
}

describeServer("the table: SQL, drizzle definition and custom tables", () => {
  const pool = testPool();
  const db = drizzle({ client: pool });

  afterAll(async () => {
    await pool.end();
  });

  it("creates the same table from createTableSql as the drizzle definition describes", async () => {
    const name = "ddl_check";
    await pool.query(createTableSql(name, { schema }));
    const config = getTableConfig(sessionsTable(name, { schema }));
    const { rows: columns } = await pool.query(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null
       from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
       order by a.attnum`,
      [qualified(name)],
    );
    expect(columns).toEqual(
      config.columns.map((column) => ({
        name: column.name,
        type: column.getSQLType().replace("timestamp (", "timestamp("),
        not_null: column.notNull,
      })),
    );
    const { rows: indexes } = await pool.query(
      `select indexname, indexdef from pg_indexes where schemaname = $1 and tablename = $2 order by indexname`,
      [schema, name],
    );
    expect(indexes.map((i) => i.indexname)).toEqual([
      `${name}_expires_at_idx`,
      `${name}_pkey`,
      `${name}_user_id_idx`,
    ]);
    expect(indexes.map((i) => i.indexdef.replace(/^.* USING /, ""))).toEqual([
      "btree (expires_at)",
      "btree (id)",
      "btree (user_id)",
    ]);
    expect(config.indexes.map((i) => i.config.name).sort()).toEqual([
      `${name}_expires_at_idx`,
      `${name}_user_id_idx`,
    ]);
  });

  it("gives drizzle-kit the very table createTableSql creates", async () => {
    const describeTable = async (name: string) => {
      const { rows: columns } = await pool.query(
        `select a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid) as default
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
        [qualified(name)],
      );
      const { rows: indexes } = await pool.query(
        "select indexdef from pg_indexes where schemaname = $1 and tablename = $2 order by indexname",
        [schema, name],
      );
      return { columns, indexes: indexes.map((i) => i.indexdef.replaceAll(name, "<table>")) };
    };
    const { generateDrizzleJson, generateMigration } = await import("drizzle-kit/api");
    const migration = await generateMigration(
      generateDrizzleJson({}),
      generateDrizzleJson({ sessions: sessionsTable("kit_made", { schema }) }),
    );
    for (const statement of migration) {
      if (!statement.startsWith("CREATE SCHEMA")) await pool.query(statement);
    }
    await pool.query(createTableSql("sql_made", { schema }));
    expect(await describeTable("kit_made")).toEqual(await describeTable("sql_made"));
  });

  it("ships the default table as plain SQL migration files, 0000, 0001 then 0002", () => {
    const statements = createTableSql().split(";\n\n");
    const first = readMigration("0000_tessera_sessions.sql");
    const second = readMigration("0001_tessera_dbsc.sql");
    const third = readMigration("0002_tessera_policies.sql");
    expect(first).toContain(statements.slice(0, 3).join(";\n\n"));
    expect(second).toContain(statements[3]);
    expect(third).toContain(statements.slice(4).join(";\n\n"));
    expect(statements).toHaveLength(8);
    expect(getTableConfig(tesseraSessions).name).toBe("sessions");
  });

  it("migrates idempotently, even from several processes starting at once", async () => {
    const table = sessionsTable("raced", { schema });
    const stores = Array.from({ length: 4 }, () => new PostgresStore({ db, table }));
    await Promise.all(stores.map(() => migrate(db, { table })));
    await migrate(db, { table });
    const record = makeRecord();
    await stores[1]?.create(record);
    expect(await stores[2]?.get(record.id)).toEqual(record);
  });

  it("works on a renamed table and on the application's own table definition", async () => {
    const renamedTable = sessionsTable("my_sessions", { schema });
    await migrate(db, { table: renamedTable });
    const renamed = new PostgresStore({ db, table: renamedTable });
    const own = customTable("app_sessions", "user_id");
    await pool.query(createTableSql("app_sessions", { schema }));
    await pool.query(`alter table ${qualified("app_sessions")} add column label text`);
    const ownStore = new PostgresStore({ db, table: own as unknown as SessionsTable });
    for (const store of [renamed, ownStore]) {
      const sessions = createSessions({ store });
      const { session, token } = await sessions.create({ userId: "custom" });
      expect((await sessions.validate(token)).ok).toBe(true);
      expect(await sessions.revokeAll("custom")).toBe(1);
      expect(await store.get(session.id)).toBeNull();
    }
  });

  it("refuses to migrate a custom table whose column names it does not know", async () => {
    const table = customTable("other_columns", "owner") as unknown as SessionsTable;
    await expect(migrate(db, { table })).rejects.toBeInstanceOf(TesseraConfigError);
  });
});

describe("PostgresStore options", () => {
  it("refuses anything but a drizzle Postgres database", () => {
    expect(() => new PostgresStore({ db: {} as never })).toThrow(TesseraConfigError);
    expect(() => new PostgresStore(undefined as never)).toThrow(TesseraConfigError);
  });

  it("refuses table names PostgreSQL would truncate, and empty ones", () => {
    expect(() => sessionsTable("")).toThrow(TesseraConfigError);
    expect(() => sessionsTable("x".repeat(49))).toThrow(TesseraConfigError);
    expect(() => createTableSql("x", { schema: "" })).toThrow(TesseraConfigError);
  });

  it("quotes names in the SQL it generates", () => {
    expect(createTableSql('odd"name', { schema: "my schema" })).toContain(
      'CREATE TABLE IF NOT EXISTS "my schema"."odd""name" (',
    );
  });
});
