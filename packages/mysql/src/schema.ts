/**
 * The sessions table as drizzle defines it: to import into an application's schema (drizzle-kit
 * then manages it) and to hand to `MySQLStore`. `setup.ts` writes the same table as plain SQL; a
 * test keeps the two in step.
 */
import { TesseraConfigError } from "@tessera/core";
import type { StoredDeviceBinding } from "@tessera/core/store";
import type { BuildColumns } from "drizzle-orm";
import {
  bigint,
  datetime,
  index,
  int,
  json,
  type MySqlDatabase,
  type MySqlQueryResultHKT,
  type MySqlTableWithColumns,
  mysqlSchema,
  mysqlTable,
  type PreparedQueryHKTBase,
  text,
  varbinary,
} from "drizzle-orm/mysql-core";

/**
 * A drizzle database on a MySQL driver: `drizzle-orm/mysql2` (tested), and the other mysql-core
 * drivers.
 */
export type AnyMySqlDatabase = MySqlDatabase<
  MySqlQueryResultHKT,
  PreparedQueryHKTBase,
  Record<string, unknown>
>;

/** Bytes a session id may take (`VARBINARY(255)`); core's ids take 24. */
export const MAX_ID_BYTES = 255;
/**
 * Bytes a user id may take (`VARBINARY(1024)`): core allows 256 UTF-16 units, at most 768 bytes
 * of UTF-8.
 */
export const MAX_USER_ID_BYTES = 1024;
/** Bytes a policy class name may take (`VARBINARY(255)`). */
export const MAX_POLICY_BYTES = 255;

// Millisecond precision (core's clock is in ms), in UTC: DATETIME, not TIMESTAMP, so that the
// session's time_zone never shifts a value and the year 2038 is no limit.
const instant = (name: string) => datetime(name, { mode: "date", fsp: 3 }).notNull();

/**
 * The columns. `id` and `user_id` are VARBINARY: compared byte for byte on every server, where a
 * VARCHAR's collation may be case-insensitive or pad trailing spaces ("Alice" and "alice " would
 * then be one user for list and revoke-all). Free text is TEXT or JSON, never a VARCHAR that a
 * server outside strict mode would silently truncate.
 */
function sessionColumns() {
  return {
    id: varbinary("id", { length: MAX_ID_BYTES }).primaryKey(),
    // Null for a guest session (before login): migration 0002 drops the NOT NULL of 0000.
    userId: varbinary("user_id", { length: MAX_USER_ID_BYTES }),
    version: int("version").notNull(),
    expiresAt: instant("expires_at"),
    absoluteExpiresAt: instant("absolute_expires_at"),
    createdAt: instant("created_at"),
    authenticatedAt: instant("authenticated_at"),
    freshUntil: instant("fresh_until"),
    lastActiveAt: instant("last_active_at"),
    rotatedAt: instant("rotated_at"),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    rotationNonce: text("rotation_nonce"),
    // JSON is LONGTEXT with a json_valid check on MariaDB and a binary type on MySQL 8; the
    // codec reads either.
    retiredSecretHashes: json("retired_secret_hashes").$type<string[]>().notNull(),
    data: json("data").$type<Record<string, unknown>>().notNull(),
    clientIp: text("client_ip"),
    clientUa: text("client_ua"),
    clientDeviceId: text("client_device_id"),
    // Added by migration 0001 (hence last). Null for a session without DBSC; only core reads
    // inside it, so it is one JSON document rather than columns.
    dbsc: json("dbsc").$type<StoredDeviceBinding>(),
    // Added by migration 0002: the policy class (rows from before it read "default") and the
    // admin behind an impersonation session (a user id, kept like `user_id`).
    policy: varbinary("policy", { length: MAX_POLICY_BYTES }).notNull().default("default"),
    impersonatedBy: varbinary("impersonated_by", { length: MAX_USER_ID_BYTES }),
  };
}

type SessionColumns = ReturnType<typeof sessionColumns>;

/**
 * The drizzle type of a sessions table. Any table with these columns (same property names and
 * types) works with `MySQLStore`; extra columns must be nullable or have defaults.
 */
export type SessionsTable<TName extends string = string> = MySqlTableWithColumns<{
  name: TName;
  schema: string | undefined;
  columns: BuildColumns<TName, SessionColumns, "mysql">;
  dialect: "mysql";
}>;

/** Where the sessions table lives. */
export interface SessionsTableOptions {
  /**
   * The database (MySQL's schema) holding the table.
   * @defaultValue none: the connection's current database
   */
  database?: string;
}

/** MySQL and MariaDB refuse identifiers past 64 characters. */
const MAX_IDENTIFIER = 64;

function checkIdentifier(what: string, value: unknown): asserts value is string {
  // A trailing space is refused by the server; a NUL cannot be quoted.
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    value.length > MAX_IDENTIFIER ||
    value.endsWith(" ") ||
    value.includes("\u0000")
  ) {
    throw new TesseraConfigError(
      `${what} must be a non-empty string of at most ${MAX_IDENTIFIER} characters, without a trailing space`,
    );
  }
}

/** Throws `TesseraConfigError` for names MySQL would refuse. */
export function checkNames(name: unknown, options: SessionsTableOptions): void {
  checkIdentifier("the sessions table name", name);
  if (options.database !== undefined) checkIdentifier("database", options.database);
}

/**
 * Defines a sessions table named `name` (default `"sessions"`), optionally in another database.
 * Re-export the result from your drizzle schema file so drizzle-kit manages it, and pass it to
 * `new MySQLStore({ db, table })`.
 *
 * @throws `TesseraConfigError` for an empty name, or one MySQL refuses (over 64 characters).
 * @example
 * ```ts
 * export const authSessions = sessionsTable("auth_sessions");
 * ```
 */
export function sessionsTable<TName extends string = "sessions">(
  name: TName = "sessions" as TName,
  options: SessionsTableOptions = {},
): SessionsTable<TName> {
  checkNames(name, options);
  // Index names are per table in MySQL, so they need no table prefix.
  const indexes = (table: BuildColumns<TName, SessionColumns, "mysql">) => [
    index("user_id_idx").on(table.userId),
    index("expires_at_idx").on(table.expiresAt),
  ];
  const table =
    options.database === undefined
      ? mysqlTable(name, sessionColumns(), indexes)
      : mysqlSchema(options.database).table(name, sessionColumns(), indexes);
  return table as SessionsTable<TName>;
}

/**
 * The default table: `sessions` in the connection's database. Re-export it from your drizzle
 * schema file (`export { tesseraSessions } from "@tessera/mysql/setup"`) for drizzle-kit;
 * `MySQLStore` uses it when given no `table`.
 */
export const tesseraSessions: SessionsTable<"sessions"> = sessionsTable("sessions");

function epochColumns() {
  return {
    scope: varbinary("scope", { length: MAX_USER_ID_BYTES }).primaryKey(),
    revokedBefore: bigint("revoked_before", { mode: "number" }).notNull(),
  };
}

/** The drizzle type of an epochs table (see `epochsTable`). */
export type EpochsTable<TName extends string = string> = MySqlTableWithColumns<{
  name: TName;
  schema: string | undefined;
  columns: BuildColumns<TName, ReturnType<typeof epochColumns>, "mysql">;
  dialect: "mysql";
}>;

/**
 * The revocation epochs table that goes with the sessions table `name`: `<name>_epochs` in the
 * same database, one row per scope (empty for the global epoch, else a user id) with the epoch in
 * milliseconds. Rows are never deleted: one small row per user ever revoked. `MySQLStore` finds
 * it by that name; re-export it from your drizzle schema file next to the sessions table.
 *
 * @throws `TesseraConfigError` for the names `sessionsTable` refuses (or one 7 characters too
 * long for the suffix).
 * @example
 * ```ts
 * export const authSessionEpochs = epochsTable("auth_sessions");
 * ```
 */
export function epochsTable<TName extends string = "sessions">(
  name: TName = "sessions" as TName,
  options: SessionsTableOptions = {},
): EpochsTable<`${TName}_epochs`> {
  checkNames(`${name}_epochs`, options);
  return epochsTableOf(name, options.database) as EpochsTable<`${TName}_epochs`>;
}

/** The epochs table of the sessions table `name` in `database`, unchecked (the store's lookup). */
export function epochsTableOf(name: string, database: string | undefined): EpochsTable {
  const full = `${name}_epochs`;
  const table =
    database === undefined
      ? mysqlTable(full, epochColumns())
      : mysqlSchema(database).table(full, epochColumns());
  return table as EpochsTable;
}

/** The epochs table of the default sessions table: `sessions_epochs`. */
export const tesseraEpochs: EpochsTable<"sessions_epochs"> = epochsTable("sessions");
