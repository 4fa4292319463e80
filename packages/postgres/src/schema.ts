/**
 * The sessions table as drizzle defines it: to import into an application's schema (drizzle-kit
 * then manages it) and to hand to `PostgresStore`. `setup.ts` writes the same table as plain
 * SQL; a test keeps the two in step.
 */
import { TesseraConfigError } from "@tessera/core";
import type { StoredDeviceBinding } from "@tessera/core/store";
import type { BuildColumns, BuildExtraConfigColumns } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  jsonb,
  type PgDatabase,
  type PgQueryResultHKT,
  type PgTableWithColumns,
  pgSchema,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * A drizzle database on any Postgres driver: `drizzle-orm/node-postgres`,
 * `drizzle-orm/postgres-js`, `drizzle-orm/pglite`, and the other pg-core drivers.
 */
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

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
    // Null for a guest session (before login); migration 0002 drops the NOT NULL of 0000.
    userId: text("user_id"),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    rotationNonce: text("rotation_nonce"),
    retiredSecretHashes: text("retired_secret_hashes").array().notNull().default([]),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    clientIp: text("client_ip"),
    clientUa: text("client_ua"),
    clientDeviceId: text("client_device_id"),
    // Added by migration 0001 (hence last). Null for a session without DBSC; only core reads
    // inside it, so it is one jsonb document rather than columns.
    dbsc: jsonb("dbsc").$type<StoredDeviceBinding>(),
    // Added by migration 0002: the policy class (rows from before it read "default") and the
    // admin behind an impersonation session.
    policy: text("policy").notNull().default("default"),
    impersonatedBy: text("impersonated_by"),
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
/** The longest suffix the package adds to the table's name (`_epochs_pkey` is shorter). */
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

/** Throws `TesseraConfigError` for names PostgreSQL would truncate, and for empty ones. */
export function checkNames(name: unknown, options: SessionsTableOptions): void {
  // PostgreSQL silently truncates identifiers past 63 bytes: keep the index names whole.
  checkIdentifier("the sessions table name", name, MAX_IDENTIFIER - LONGEST_INDEX_SUFFIX);
  if (options.schema !== undefined) checkIdentifier("schema", options.schema, MAX_IDENTIFIER);
}

/**
 * Defines a sessions table named `name` (default `"sessions"`), optionally in a PostgreSQL
 * schema. Re-export the result from your drizzle schema file so drizzle-kit manages it, and pass
 * it to `new PostgresStore({ db, table })`.
 *
 * @throws `TesseraConfigError` for an empty name, or one whose index names PostgreSQL would
 * truncate (over 48 bytes).
 * @example
 * ```ts
 * export const authSessions = sessionsTable("auth_sessions", { schema: "auth" });
 * ```
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
 * The default table: `sessions` on the connection's `search_path`. Re-export it from your
 * drizzle schema file (`export { tesseraSessions } from "@tessera/postgres/setup"`) for
 * drizzle-kit; `PostgresStore` uses it when given no `table`.
 */
export const tesseraSessions: SessionsTable<"sessions"> = sessionsTable("sessions");

/**
 * The revocation epochs table: one row per scope, `''` for the global epoch (raised by
 * `revokeIssuedBefore`) and the user id for a user's (raised by `revokeAll`), holding the epoch in
 * milliseconds. Rows are never deleted: one small row per user ever revoked, kept for as long as
 * a session of that user could live (and then some).
 */
function epochColumns() {
  return {
    scope: text("scope").primaryKey(),
    revokedBefore: bigint("revoked_before", { mode: "number" }).notNull(),
  };
}

/** The drizzle type of an epochs table (see `epochsTable`). */
export type EpochsTable<TName extends string = string> = PgTableWithColumns<{
  name: TName;
  schema: string | undefined;
  columns: BuildColumns<TName, ReturnType<typeof epochColumns>, "pg">;
  dialect: "pg";
}>;

/**
 * Defines the revocation epochs table that goes with the sessions table `name`: named
 * `<name>_epochs`, in the same schema. `PostgresStore` finds it by that name; re-export it from
 * your drizzle schema file next to the sessions table so drizzle-kit creates it.
 *
 * @throws `TesseraConfigError` for the same names `sessionsTable` refuses.
 * @example
 * ```ts
 * export const authSessions = sessionsTable("auth_sessions", { schema: "auth" });
 * export const authSessionEpochs = epochsTable("auth_sessions", { schema: "auth" });
 * ```
 */
export function epochsTable<TName extends string = "sessions">(
  name: TName = "sessions" as TName,
  options: SessionsTableOptions = {},
): EpochsTable<`${TName}_epochs`> {
  checkNames(name, options);
  return epochsTableOf(name, options.schema) as EpochsTable<`${TName}_epochs`>;
}

/** The epochs table of the sessions table `name` in `schema`, unchecked (the store's lookup). */
export function epochsTableOf(name: string, schema: string | undefined): EpochsTable {
  const full = `${name}_epochs`;
  const table =
    schema === undefined
      ? pgTable(full, epochColumns())
      : pgSchema(schema).table(full, epochColumns());
  return table as EpochsTable;
}

/** The epochs table of the default sessions table: `sessions_epochs` on the `search_path`. */
export const tesseraEpochs: EpochsTable<"sessions_epochs"> = epochsTable("sessions");
