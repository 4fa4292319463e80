/**
 * `@tessera/sqlite/setup`: provisioning, kept out of the store's entry. The sessions table as
 * drizzle defines it (for drizzle-kit), the same table as plain SQL (for the `sqlite3` shell,
 * `wrangler d1 migrations` or any migration tool), and `migrate`, which creates it from the
 * application.
 */
import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { columnDefinition, quote, tableStatements } from "./ddl.js";
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
  type SessionsTable,
  sessionsTable,
  tesseraSessions,
} from "./schema.js";

/**
 * The statements that create the sessions table named `name` and its two indexes, idempotently
 * (`IF NOT EXISTS`), one string per statement (D1 and libSQL run one statement per call).
 *
 * @example
 * ```ts
 * for (const statement of createTableStatements("auth_sessions")) client.exec(statement);
 * ```
 * @throws TesseraConfigError for an empty name or one SQLite reserves (`sqlite_...`).
 */
export function createTableStatements(name = "sessions"): string[] {
  return tableStatements(sessionsTable(name));
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
 * Creates the sessions table and its indexes if they do not exist (the statements of
 * `createTableSql`), and adds any nullable column a table made by an older version lacks (e.g.
 * `dbsc`). Safe to call on every start, from several processes at once.
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
    for (const statement of indexes) await db.run(sql.raw(statement));
  });
}
