/**
 * The sessions table as drizzle defines it: to import into an application's schema (drizzle-kit
 * then manages it) and to hand to `SQLiteStore`. `setup.ts` writes the same table as plain SQL;
 * a test keeps the two in step.
 */
import { TesseraConfigError } from "@tessera/core";
import type { StoredDeviceBinding } from "@tessera/core/store";
import type { BuildColumns } from "drizzle-orm";
import {
  type BaseSQLiteDatabase,
  index,
  integer,
  type SQLiteTableWithColumns,
  sqliteTable,
  text,
} from "drizzle-orm/sqlite-core";

/**
 * A drizzle database on any SQLite driver, synchronous (`drizzle-orm/better-sqlite3`,
 * `drizzle-orm/bun-sqlite`) or asynchronous (`drizzle-orm/libsql`, `drizzle-orm/d1`).
 */
// biome-ignore lint/suspicious/noExplicitAny: each driver has its own run-result type; the store never reads it
export type AnySQLiteDatabase = BaseSQLiteDatabase<"sync" | "async", any, Record<string, unknown>>;

// Times are epoch milliseconds in INTEGER columns: core's clock is in ms, reads need no parsing,
// and a person can still write `expires_at < unixepoch('subsec') * 1000` by hand.
const instant = (name: string) => integer(name, { mode: "number" }).notNull();

function sessionColumns() {
  return {
    id: text("id").primaryKey(),
    // Null for a guest session (before login).
    userId: text("user_id"),
    version: integer("version", { mode: "number" }).notNull(),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    rotationNonce: text("rotation_nonce"),
    // SQLite has no arrays nor jsonb: JSON text, which drizzle encodes and decodes.
    retiredSecretHashes: text("retired_secret_hashes", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default([]),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: instant("created_at"),
    authenticatedAt: instant("authenticated_at"),
    freshUntil: instant("fresh_until"),
    lastActiveAt: instant("last_active_at"),
    rotatedAt: instant("rotated_at"),
    expiresAt: instant("expires_at"),
    absoluteExpiresAt: instant("absolute_expires_at"),
    clientIp: text("client_ip"),
    clientUa: text("client_ua"),
    clientDeviceId: text("client_device_id"),
    // Null for a session without DBSC; only core reads inside it, so it is one JSON document.
    dbsc: text("dbsc", { mode: "json" }).$type<StoredDeviceBinding>(),
    // The policy class (rows from before it read "default") and the admin behind an
    // impersonation session.
    policy: text("policy").notNull().default("default"),
    impersonatedBy: text("impersonated_by"),
  };
}

type SessionColumns = ReturnType<typeof sessionColumns>;

/**
 * The drizzle type of a sessions table. Any table with these columns (same property names and
 * types) works with `SQLiteStore`; extra columns must be nullable or have defaults.
 */
export type SessionsTable<TName extends string = string> = SQLiteTableWithColumns<{
  name: TName;
  schema: undefined;
  columns: BuildColumns<TName, SessionColumns, "sqlite">;
  dialect: "sqlite";
}>;

/** Throws `TesseraConfigError` for a name that is not a usable table name. */
export function checkName(name: unknown): asserts name is string {
  // sqlite_ is reserved for SQLite's own tables; a NUL would end the name early.
  if (
    typeof name !== "string" ||
    name.length === 0 ||
    name.includes("\0") ||
    name.toLowerCase().startsWith("sqlite_")
  ) {
    throw new TesseraConfigError(
      "the sessions table name must be a non-empty string without NUL, not starting with sqlite_",
    );
  }
}

/**
 * Defines a sessions table named `name` (default `"sessions"`), with an index on `user_id` (the
 * per-user list and revoke-all) and one on `expires_at` (`purgeExpired`). Re-export the result
 * from your drizzle schema file so drizzle-kit manages it, and pass it to
 * `new SQLiteStore({ db, table })`.
 *
 * @throws `TesseraConfigError` for an empty name, or one SQLite reserves (`sqlite_...`).
 * @example
 * ```ts
 * export const authSessions = sessionsTable("auth_sessions");
 * ```
 */
export function sessionsTable<TName extends string = "sessions">(
  name: TName = "sessions" as TName,
): SessionsTable<TName> {
  checkName(name);
  const indexes = (table: BuildColumns<TName, SessionColumns, "sqlite">) => [
    index(`${name}_user_id_idx`).on(table.userId),
    index(`${name}_expires_at_idx`).on(table.expiresAt),
  ];
  return sqliteTable(name, sessionColumns(), indexes) as SessionsTable<TName>;
}

/**
 * The default table: `sessions`. Re-export it from your drizzle schema file
 * (`export { tesseraSessions } from "@tessera/sqlite/setup"`) for drizzle-kit; `SQLiteStore`
 * uses it when given no `table`.
 */
export const tesseraSessions: SessionsTable<"sessions"> = sessionsTable("sessions");

function epochColumns() {
  return {
    scope: text("scope").primaryKey(),
    revokedBefore: integer("revoked_before", { mode: "number" }).notNull(),
  };
}

/** The drizzle type of an epochs table (see `epochsTable`). */
export type EpochsTable<TName extends string = string> = SQLiteTableWithColumns<{
  name: TName;
  schema: undefined;
  columns: BuildColumns<TName, ReturnType<typeof epochColumns>, "sqlite">;
  dialect: "sqlite";
}>;

/**
 * The revocation epochs table that goes with the sessions table `name`: `<name>_epochs`, one row
 * per scope (`''` for the global epoch, else a user id) with the epoch in milliseconds. Rows are
 * never deleted: one small row per user ever revoked. `SQLiteStore` finds it by that name;
 * re-export it from your drizzle schema file next to the sessions table for drizzle-kit.
 *
 * @throws `TesseraConfigError` for the names `sessionsTable` refuses.
 * @example
 * ```ts
 * export const authSessionEpochs = epochsTable("auth_sessions");
 * ```
 */
export function epochsTable<TName extends string = "sessions">(
  name: TName = "sessions" as TName,
): EpochsTable<`${TName}_epochs`> {
  checkName(name);
  return sqliteTable(`${name}_epochs`, epochColumns()) as EpochsTable<`${TName}_epochs`>;
}

/** The epochs table of the default sessions table: `sessions_epochs`. */
export const tesseraEpochs: EpochsTable<"sessions_epochs"> = epochsTable("sessions");
