/**
 * `@tessera/sqlite/setup`: provisioning, kept out of the store's entry. The sessions table as
 * drizzle defines it (for drizzle-kit), the same table as plain SQL (for the `sqlite3` shell,
 * `wrangler d1 migrations` or any migration tool), and `migrate`, which creates it from the
 * application.
 */
import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import {
  columnDefinition,
  epochsStatement,
  quote,
  rebuildStatements,
  tableStatements,
} from "./ddl.js";
import { sqliteCall } from "./failure.js";
import {
  type AnySQLiteDatabase,
  type SessionsTable,
  sessionsTable,
  tesseraSessions,
} from "./schema.js";
import { readColumns } from "./table-check.js";

export {
  type AnySQLiteDatabase,
  type EpochsTable,
  epochsTable,
  type SessionsTable,
  sessionsTable,
  tesseraEpochs,
  tesseraSessions,
} from "./schema.js";

/**
 * The statements that create the sessions table named `name`, its two indexes and its
 * revocation epochs table (`<name>_epochs`), idempotently (`IF NOT EXISTS`), one string per
 * statement (D1 and libSQL run one statement per call). For a new database; a table made by an
 * earlier version is brought up to date by `migrate` or `migrations/0001_tessera_policies.sql`.
 *
 * @example
 * ```ts
 * for (const statement of createTableStatements("auth_sessions")) client.exec(statement);
 * ```
 * @throws TesseraConfigError for an empty name or one SQLite reserves (`sqlite_...`).
 */
export function createTableStatements(name = "sessions"): string[] {
  const table = sessionsTable(name);
  return [...tableStatements(table), epochsStatement(table)];
}

/**
 * The sessions table as one SQL script (the package's `migrations/0000_tessera_sessions.sql`
 * for the default name), for `sqlite3 sessions.db < file`, `wrangler d1 migrations` or any
 * migration tool. Safe to run more than once.
 *
 * @throws TesseraConfigError for an empty name or one SQLite reserves (`sqlite_...`).
 */
export function createTableSql(name = "sessions"): string {
  return `${createTableStatements(name).join(";\n\n")};\n`;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /**
   * The table to create: one from `sessionsTable(...)`, or your own drizzle definition with the
   * same columns. Default: `tesseraSessions` (the table named `sessions`).
   */
  table?: SessionsTable;
}

/**
 * Creates the sessions table, its indexes and its epochs table if they do not exist (the
 * statements of `createTableSql`), and brings a table made by an older version up to date: adds
 * the columns it lacks (`dbsc`, `policy`, `impersonated_by`) and, when its `user_id` is still
 * NOT NULL (before guest sessions), rebuilds it in one transaction, rows kept. Safe to call on
 * every start, from several processes at once.
 *
 * @throws `StoreUnavailableError` when the database fails.
 * @example
 * ```ts
 * const db = drizzle({ client: new Database("sessions.db") });
 * await migrate(db); // on every start: creates the table the first time, a no-op after
 * const store = new SQLiteStore({ db });
 * ```
 */
export async function migrate(db: AnySQLiteDatabase, options: MigrateOptions = {}): Promise<void> {
  const table = options.table ?? tesseraSessions;
  const config = getTableConfig(table);
  await sqliteCall("migrate", async () => {
    const [create, ...indexes] = tableStatements(table);
    await db.run(sql.raw(create as string));
    const present = new Set((await readColumns(db, table)).map((column) => column.name));
    for (const column of config.columns) {
      if (present.has(column.name) || (column.notNull && !column.hasDefault)) continue;
      const alter = `ALTER TABLE ${quote(config.name)} ADD COLUMN ${columnDefinition(column)}`;
      try {
        await db.run(sql.raw(alter));
      } catch (error) {
        // Another process starting at the same time may have added it first.
        const now = await readColumns(db, table);
        if (!now.some((c) => c.name === column.name)) throw error;
      }
    }
    if (await needsRebuild(db, table)) await rebuild(db, table);
    for (const statement of indexes) await db.run(sql.raw(statement));
    await db.run(sql.raw(epochsStatement(table)));
  });
}

/** Whether a column the definition allows NULL in is NOT NULL in the database (`user_id`). */
async function needsRebuild(db: AnySQLiteDatabase, table: SessionsTable): Promise<boolean> {
  const nullable = new Set(
    getTableConfig(table)
      .columns.filter((column) => !column.notNull)
      .map((column) => column.name),
  );
  return (await readColumns(db, table)).some(
    (column) => column.notnull && nullable.has(column.name),
  );
}

/** A driver with `batch` (libSQL, D1): statements run as one transaction. */
type Batching = { batch(queries: unknown[]): Promise<unknown> };

/**
 * Rebuilds the table in one transaction: one `batch` where the driver has it (libSQL, D1, which
 * refuses BEGIN), else between `BEGIN IMMEDIATE` and `COMMIT` (better-sqlite3, bun:sqlite: one
 * connection), checking again once the write lock is held in case another process did it first.
 */
async function rebuild(db: AnySQLiteDatabase, table: SessionsTable): Promise<void> {
  const statements = rebuildStatements(table);
  const batching = db as unknown as Partial<Batching>;
  if (typeof batching.batch === "function") {
    await batching.batch(statements.map((statement) => db.run(sql.raw(statement))));
    return;
  }
  await db.run(sql.raw("BEGIN IMMEDIATE"));
  try {
    if (await needsRebuild(db, table)) {
      for (const statement of statements) await db.run(sql.raw(statement));
    }
    await db.run(sql.raw("COMMIT"));
  } catch (error) {
    await Promise.resolve(db.run(sql.raw("ROLLBACK"))).catch(() => {});
    throw error;
  }
}
