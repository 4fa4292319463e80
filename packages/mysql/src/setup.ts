/**
 * `@tessera/mysql/setup`: provisioning, kept out of the store's entry. The sessions table as
 * drizzle defines it (for drizzle-kit), the same table as plain SQL (for the `mysql` client or
 * any migration tool), and `migrate`, which creates it from the application (development, tests).
 */
import { TesseraConfigError } from "@tessera/core";
import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/mysql-core";
import { rowsOf } from "./check.js";
import { errnoOf, mysqlCall } from "./failure.js";
import {
  type AnyMySqlDatabase,
  checkNames,
  MAX_ID_BYTES,
  MAX_POLICY_BYTES,
  MAX_USER_ID_BYTES,
  type SessionsTable,
  type SessionsTableOptions,
  tesseraSessions,
} from "./schema.js";

export { MIGRATIONS } from "./migrations.js";
export {
  type AnyMySqlDatabase,
  type EpochsTable,
  epochsTable,
  type SessionsTable,
  type SessionsTableOptions,
  sessionsTable,
  tesseraEpochs,
  tesseraSessions,
} from "./schema.js";

function quote(identifier: string): string {
  return `\`${identifier.replaceAll("`", "``")}\``;
}

function qualified(name: string, options: SessionsTableOptions): string {
  return options.database === undefined ? quote(name) : `${quote(options.database)}.${quote(name)}`;
}

/**
 * The statements that create the sessions table with its two indexes (migration 0000, with
 * `IF NOT EXISTS`) and add the `dbsc` column (migration 0001, which MySQL cannot make
 * idempotent: it has no `ADD COLUMN IF NOT EXISTS`), one string per statement. The same SQL runs
 * on MySQL 8 and MariaDB (the tests run it on MariaDB 10.11).
 *
 * @example
 * ```ts
 * const [createTable, addDbsc] = createTableStatements("auth_sessions");
 * await connection.query(createTable);
 * ```
 * @throws TesseraConfigError for an empty name or one over 64 characters.
 */
export function createTableStatements(
  name = "sessions",
  options: SessionsTableOptions = {},
): [
  createTable: string,
  addDbsc: string,
  allowGuests: string,
  addPolicy: string,
  addImpersonatedBy: string,
  createEpochs: string,
] {
  checkNames(name, options);
  checkNames(`${name}_epochs`, options);
  const table = qualified(name, options);
  const epochs = qualified(`${name}_epochs`, options);
  const time = "DATETIME(3) NOT NULL";
  return [
    [
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      `  \`id\` VARBINARY(${MAX_ID_BYTES}) NOT NULL,`,
      `  \`user_id\` VARBINARY(${MAX_USER_ID_BYTES}) NOT NULL,`,
      "  `version` INT NOT NULL,",
      `  \`expires_at\` ${time},`,
      `  \`absolute_expires_at\` ${time},`,
      `  \`created_at\` ${time},`,
      `  \`authenticated_at\` ${time},`,
      `  \`fresh_until\` ${time},`,
      `  \`last_active_at\` ${time},`,
      `  \`rotated_at\` ${time},`,
      "  `secret_hash` TEXT NOT NULL,",
      "  `previous_secret_hash` TEXT NULL,",
      "  `rotation_nonce` TEXT NULL,",
      "  `retired_secret_hashes` JSON NOT NULL,",
      "  `data` JSON NOT NULL,",
      "  `client_ip` TEXT NULL,",
      "  `client_ua` TEXT NULL,",
      "  `client_device_id` TEXT NULL,",
      "  PRIMARY KEY (`id`),",
      "  KEY `user_id_idx` (`user_id`),",
      "  KEY `expires_at_idx` (`expires_at`)",
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    ].join("\n"),
    `ALTER TABLE ${table} ADD COLUMN \`dbsc\` JSON NULL`,
    // Migration 0002: guest sessions (no user), the policy class, impersonation, the epochs.
    `ALTER TABLE ${table} MODIFY COLUMN \`user_id\` VARBINARY(${MAX_USER_ID_BYTES}) NULL`,
    `ALTER TABLE ${table} ADD COLUMN \`policy\` VARBINARY(${MAX_POLICY_BYTES}) NOT NULL DEFAULT 'default'`,
    `ALTER TABLE ${table} ADD COLUMN \`impersonated_by\` VARBINARY(${MAX_USER_ID_BYTES}) NULL`,
    [
      `CREATE TABLE IF NOT EXISTS ${epochs} (`,
      `  \`scope\` VARBINARY(${MAX_USER_ID_BYTES}) NOT NULL,`,
      "  `revoked_before` BIGINT NOT NULL,",
      "  PRIMARY KEY (`scope`)",
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    ].join("\n"),
  ];
}

/**
 * The sessions table as one SQL script (the package's `migrations/0000_tessera_sessions.sql`
 * then `0001_tessera_dbsc.sql`, for the default name), for the `mysql` client or any migration
 * tool. Run it once; on a table made by 0000 alone, run only the second statement.
 */
export function createTableSql(name = "sessions", options: SessionsTableOptions = {}): string {
  return `${createTableStatements(name, options).join(";\n\n")};\n`;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /**
   * The table to create: one from `sessionsTable(...)`, or your own with the standard column
   * names. Default: `tesseraSessions` (`sessions` in the connection's database).
   */
  table?: SessionsTable;
}

/** The column names `migrate` knows how to create. */
const STANDARD_COLUMN_NAMES = getTableConfig(tesseraSessions).columns.map((c) => c.name);

/** The server's error for a column that already exists (ER_DUP_FIELDNAME). */
const ER_DUP_FIELDNAME = 1060;

/**
 * Creates the sessions table and its indexes if they do not exist, and adds the columns of later
 * migrations to a table made by an earlier one: the statements of `createTableStatements`, each
 * only when needed, so several processes starting at once do not conflict. Meant for development
 * and tests; use migrations in production.
 *
 * @throws `TesseraConfigError` for a custom table whose column names differ from the standard
 * ones (create that one with drizzle-kit); `StoreUnavailableError` when the database fails.
 * @example
 * ```ts
 * const db = drizzle({ client: mysql.createPool({ uri: process.env.DATABASE_URL }) });
 * await migrate(db); // on every start: creates the table the first time, a no-op after
 * const store = new MySQLStore({ db });
 * ```
 */
export async function migrate(db: AnyMySqlDatabase, options: MigrateOptions = {}): Promise<void> {
  const config = getTableConfig(options.table ?? tesseraSessions);
  const names = config.columns.map((c) => c.name);
  if (STANDARD_COLUMN_NAMES.some((column) => !names.includes(column))) {
    throw new TesseraConfigError(
      `migrate() creates the standard sessions table only; table "${config.name}" has other column names, create it with drizzle-kit`,
    );
  }
  const where = config.schema === undefined ? {} : { database: config.schema };
  const [createTable, addDbsc, allowGuests, addPolicy, addImpersonatedBy, createEpochs] =
    createTableStatements(config.name, where);
  await mysqlCall("migrate", async () => {
    await db.execute(sql.raw(createTable));
    const schema = config.schema === undefined ? sql`database()` : sql`${config.schema}`;
    const result = await db.execute(
      sql`select column_name as name, is_nullable as nullable from information_schema.columns
        where table_schema = ${schema} and table_name = ${config.name}`,
    );
    const columns = new Map(
      rowsOf(result).map((row) => [String(row.name).toLowerCase(), row.nullable === "YES"]),
    );
    // Each ALTER only when needed; another process may add a column between the look and the
    // ALTER (a duplicate column is then fine). Making user_id nullable is idempotent anyway.
    const add = async (column: string, statement: string) => {
      if (columns.has(column)) return;
      try {
        await db.execute(sql.raw(statement));
      } catch (error) {
        if (errnoOf(error) !== ER_DUP_FIELDNAME) throw error;
      }
    };
    await add("dbsc", addDbsc);
    if (columns.get("user_id") === false) await db.execute(sql.raw(allowGuests));
    await add("policy", addPolicy);
    await add("impersonated_by", addImpersonatedBy);
    await db.execute(sql.raw(createEpochs));
  });
}
