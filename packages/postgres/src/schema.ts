/**
 * The sessions table: its drizzle definition (to import into an application's schema or hand to
 * drizzle-kit) and the same table as plain SQL (for `psql`, any migration tool, or
 * `PostgresStore.migrate()`). A test keeps the two in step.
 */
import { TesseraConfigError } from "@tessera/core";
import type { BuildColumns, BuildExtraConfigColumns } from "drizzle-orm";
import {
  index,
  integer,
  jsonb,
  type PgTableWithColumns,
  pgSchema,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

// Times are stored at millisecond precision (core's clock is in ms), as timestamptz so that people
// and cron jobs can write `expires_at < now()` by hand.
const instant = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: "date" }).notNull();

/**
 * The columns, in storage order: the 8-byte timestamps first, then the 4-byte version, then the
 * variable-length values (id included), so that PostgreSQL pads nothing between them (an id
 * first would cost 7 bytes of alignment padding per row).
 */
function sessionColumns() {
  return {
    expiresAt: instant("expires_at"),
    absoluteExpiresAt: instant("absolute_expires_at"),
    createdAt: instant("created_at"),
    authenticatedAt: instant("authenticated_at"),
    freshUntil: instant("fresh_until"),
    lastActiveAt: instant("last_active_at"),
    rotatedAt: instant("rotated_at"),
    version: integer("version").notNull(),
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    rotationNonce: text("rotation_nonce"),
    retiredSecretHashes: text("retired_secret_hashes").array().notNull().default([]),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    clientIp: text("client_ip"),
    clientUa: text("client_ua"),
    clientDeviceId: text("client_device_id"),
  };
}

type SessionColumns = ReturnType<typeof sessionColumns>;

/**
 * The drizzle type of a sessions table. Any table with these columns (same property names and
 * types) works with `PostgresStore`; extra columns must be nullable or have defaults.
 */
export type SessionsTable<TName extends string = string> = PgTableWithColumns<{
  name: TName;
  schema: string | undefined;
  columns: BuildColumns<TName, SessionColumns, "pg">;
  dialect: "pg";
}>;

/** Where the sessions table lives. */
export interface SessionsTableOptions {
  /**
   * PostgreSQL schema (namespace).
   * @defaultValue none: the connection's `search_path`
   */
  schema?: string;
}

const MAX_IDENTIFIER = 63;
const LONGEST_INDEX_SUFFIX = "_expires_at_idx".length;

function checkIdentifier(what: string, value: unknown, max: number): asserts value is string {
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    new TextEncoder().encode(value).length > max
  ) {
    throw new TesseraConfigError(`${what} must be a non-empty string of at most ${max} bytes`);
  }
}

function checkNames(name: unknown, options: SessionsTableOptions): void {
  // PostgreSQL silently truncates identifiers past 63 bytes: keep the index names whole.
  checkIdentifier("the sessions table name", name, MAX_IDENTIFIER - LONGEST_INDEX_SUFFIX);
  if (options.schema !== undefined) checkIdentifier("schema", options.schema, MAX_IDENTIFIER);
}

/**
 * Defines a sessions table named `name` (default `"sessions"`), optionally in a PostgreSQL
 * schema. Re-export the result from your drizzle schema file so drizzle-kit manages it, and pass
 * it to `new PostgresStore({ db, table })`.
 *
 * @example
 * export const sessions = sessionsTable("auth_sessions");
 */
export function sessionsTable<TName extends string = "sessions">(
  name: TName = "sessions" as TName,
  options: SessionsTableOptions = {},
): SessionsTable<TName> {
  checkNames(name, options);
  const indexes = (table: BuildExtraConfigColumns<TName, SessionColumns, "pg">) => [
    index(`${name}_user_id_idx`).on(table.userId),
    index(`${name}_expires_at_idx`).on(table.expiresAt),
  ];
  const table =
    options.schema === undefined
      ? pgTable(name, sessionColumns(), indexes)
      : pgSchema(options.schema).table(name, sessionColumns(), indexes);
  return table as SessionsTable<TName>;
}

/**
 * The default table, `sessions` on the connection's `search_path`. Re-export it from your
 * drizzle schema file (`export { sessions } from "@tessera/postgres"`) for drizzle-kit.
 */
export const sessions: SessionsTable<"sessions"> = sessionsTable("sessions");

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * The statements that create the sessions table and its two indexes, idempotently
 * (`IF NOT EXISTS`), one string per statement (drivers that prepare statements run one at a time).
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
  const table =
    options.schema === undefined ? quote(name) : `${quote(options.schema)}.${quote(name)}`;
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
  ];
}

/**
 * The sessions table as one SQL script (the same as the package's
 * `migrations/0000_tessera_sessions.sql` for the default name), for `psql -f` or any migration
 * tool. Safe to run more than once.
 *
 * @example
 * ```ts
 * writeFileSync("migrations/0001_sessions.sql", createTableSql("sessions"));
 * ```
 * @throws TesseraConfigError for an empty name or one over 48 bytes (its index names must fit).
 */
export function createTableSql(name = "sessions", options: SessionsTableOptions = {}): string {
  return `${createTableStatements(name, options).join(";\n\n")};\n`;
}
