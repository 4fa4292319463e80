/**
 * `@tessera/postgres/setup`: provisioning, kept out of the store's entry. The sessions table as
 * drizzle defines it (for drizzle-kit), the same table as plain SQL (for `psql` or any migration
 * tool), and `migrate`, which creates it from the application (PGlite, development).
 */
import { TesseraConfigError } from "@tessera/core";
import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import { postgresCall } from "./failure.js";
import {
  type AnyPgDatabase,
  checkNames,
  type SessionsTable,
  type SessionsTableOptions,
  tesseraSessions,
} from "./schema.js";

export {
  type AnyPgDatabase,
  type EpochsTable,
  epochsTable,
  type SessionsTable,
  type SessionsTableOptions,
  sessionsTable,
  tesseraEpochs,
  tesseraSessions,
} from "./schema.js";

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * The statements that create the sessions table and its two indexes, bring a table made by an
 * earlier version up to date (migrations 0001 and 0002) and create the revocation epochs table
 * `<name>_epochs`, idempotently, one string per statement (drivers that prepare statements run
 * one at a time).
 *
 * @example
 * ```ts
 * for (const statement of createTableStatements("auth_sessions", { schema: "auth" })) {
 *   await client.query(statement);
 * }
 * ```
 * @throws TesseraConfigError for an empty name or one over 48 bytes (its index names must fit).
 */
export function createTableStatements(
  name = "sessions",
  options: SessionsTableOptions = {},
): string[] {
  checkNames(name, options);
  const qualify = (table: string) =>
    options.schema === undefined ? quote(table) : `${quote(options.schema)}.${quote(table)}`;
  const table = qualify(name);
  const epochs = qualify(`${name}_epochs`);
  const ts = "timestamp(3) with time zone NOT NULL";
  return [
    [
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      `  "expires_at" ${ts},`,
      `  "absolute_expires_at" ${ts},`,
      `  "created_at" ${ts},`,
      `  "authenticated_at" ${ts},`,
      `  "fresh_until" ${ts},`,
      `  "last_active_at" ${ts},`,
      `  "rotated_at" ${ts},`,
      `  "version" integer NOT NULL,`,
      `  "id" text PRIMARY KEY NOT NULL,`,
      `  "user_id" text NOT NULL,`,
      `  "secret_hash" text NOT NULL,`,
      `  "previous_secret_hash" text,`,
      `  "rotation_nonce" text,`,
      `  "retired_secret_hashes" text[] DEFAULT '{}' NOT NULL,`,
      `  "data" jsonb DEFAULT '{}'::jsonb NOT NULL,`,
      `  "client_ip" text,`,
      `  "client_ua" text,`,
      `  "client_device_id" text`,
      `)`,
    ].join("\n"),
    `CREATE INDEX IF NOT EXISTS ${quote(`${name}_user_id_idx`)} ON ${table} USING btree ("user_id")`,
    `CREATE INDEX IF NOT EXISTS ${quote(`${name}_expires_at_idx`)} ON ${table} USING btree ("expires_at")`,
    // Migration 0001: the DBSC state. A statement of its own, so a table made by 0000 gains it.
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "dbsc" jsonb`,
    // Migration 0002: guest sessions (no user), the policy class, impersonation, and the
    // revocation epochs. Each statement is a no-op on a table that has it already.
    `ALTER TABLE ${table} ALTER COLUMN "user_id" DROP NOT NULL`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "policy" text DEFAULT 'default' NOT NULL`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "impersonated_by" text`,
    [
      `CREATE TABLE IF NOT EXISTS ${epochs} (`,
      `  "scope" text PRIMARY KEY NOT NULL,`,
      `  "revoked_before" bigint NOT NULL`,
      `)`,
    ].join("\n"),
  ];
}

/**
 * The sessions table as one SQL script (the package's `migrations/0000_tessera_sessions.sql`,
 * `0001_tessera_dbsc.sql` then `0002_tessera_policies.sql`, for the default name), for `psql -f` or any migration tool.
 * Safe to run more than once, and on a table made by an earlier version (it adds what is new).
 */
export function createTableSql(name = "sessions", options: SessionsTableOptions = {}): string {
  return `${createTableStatements(name, options).join(";\n\n")};\n`;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /**
   * The table to create: one from `sessionsTable(...)`, or your own with the standard column
   * names. Default: `tesseraSessions` (`sessions` on the `search_path`).
   */
  table?: SessionsTable;
}

/** The column names `migrate` knows how to create. */
const STANDARD_COLUMN_NAMES = getTableConfig(tesseraSessions).columns.map((c) => c.name);

/**
 * Creates the sessions table and its indexes if they do not exist (the statements of
 * `createTableSql`), under an advisory lock so that several processes starting at once do not
 * race. Meant for embedded databases (PGlite) and development; use migrations in production.
 *
 * @throws `TesseraConfigError` for a custom table whose column names differ from the standard
 * ones (create that one with drizzle-kit); `StoreUnavailableError` when the database fails.
 * @example
 * ```ts
 * const db = drizzle({ client: new PGlite("./data/sessions") });
 * await migrate(db); // on every start: creates the table the first time, a no-op after
 * const store = new PostgresStore({ db });
 * ```
 */
export async function migrate(db: AnyPgDatabase, options: MigrateOptions = {}): Promise<void> {
  const config = getTableConfig(options.table ?? tesseraSessions);
  const names = config.columns.map((c) => c.name);
  if (STANDARD_COLUMN_NAMES.some((column) => !names.includes(column))) {
    throw new TesseraConfigError(
      `migrate() creates the standard sessions table only; table "${config.name}" has other column names, create it with drizzle-kit`,
    );
  }
  const statements = createTableStatements(
    config.name,
    config.schema === undefined ? {} : { schema: config.schema },
  );
  await postgresCall("migrate", () =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('tessera.migrate'))`);
      for (const statement of statements) await tx.execute(sql.raw(statement));
    }),
  );
}
