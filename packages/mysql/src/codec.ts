/**
 * A session record as a row of the sessions table, and back. Every field has a column of its own
 * (typed columns rather than one JSON document, as in `@tessera/postgres`), named in `COLUMNS`.
 */
import {
  type FieldOfKind,
  fieldsOfKind,
  type PerField,
  type SessionRecord,
  type StoredClient,
  type StoredDeviceBinding,
} from "@tessera/core/store";
import type { SessionsTable } from "./schema.js";

/** A row of the table as drizzle types it. */
type TableRow = SessionsTable["$inferSelect"];
type Column = keyof TableRow;

/**
 * The columns (drizzle property names) each record field is kept in: `client` takes three. A
 * field added to the record does not compile here until it has a column.
 */
const COLUMNS = {
  id: ["id"],
  userId: ["userId"],
  policy: ["policy"],
  impersonatedBy: ["impersonatedBy"],
  version: ["version"],
  secretHash: ["secretHash"],
  previousSecretHash: ["previousSecretHash"],
  rotationNonce: ["rotationNonce"],
  retiredSecretHashes: ["retiredSecretHashes"],
  data: ["data"],
  createdAt: ["createdAt"],
  authenticatedAt: ["authenticatedAt"],
  freshUntil: ["freshUntil"],
  lastActiveAt: ["lastActiveAt"],
  rotatedAt: ["rotatedAt"],
  expiresAt: ["expiresAt"],
  absoluteExpiresAt: ["absoluteExpiresAt"],
  client: ["clientIp", "clientUa", "clientDeviceId"],
  dbsc: ["dbsc"],
} as const satisfies PerField<readonly Column[]>;

/** A time column, which reads select as the server's `DATETIME(3)` text (see the store). */
export type TimeColumn = (typeof COLUMNS)[FieldOfKind<"time">][number];
/** The time columns, from the kit's field list: a new time field joins them by itself. */
export const TIME_COLUMNS: readonly TimeColumn[] = fieldsOfKind("time").flatMap(
  (field) => COLUMNS[field],
);

/** The JSON columns, which come back as text on MariaDB and parsed on MySQL 8. */
export type JsonColumn = (typeof COLUMNS)[FieldOfKind<
  "json" | "string-list" | "device-binding"
>][number];
export const JSON_COLUMNS: readonly JsonColumn[] = [
  ...fieldsOfKind("json"),
  ...fieldsOfKind("string-list"),
  ...fieldsOfKind("device-binding"),
].flatMap((field) => COLUMNS[field]);

/** Every column the store reads. */
export const RECORD_COLUMNS: readonly Column[] = Object.values(COLUMNS).flat();

/**
 * A row as the store selects it: times as `YYYY-MM-DD HH:MM:SS.fff` text in UTC, JSON as the
 * driver gives it (text or a parsed value), never through drizzle's decoders: a `Date` per time
 * column per read was most of the client-side cost of a validate.
 */
export type Row = Omit<TableRow, TimeColumn | JsonColumn> &
  Record<TimeColumn, string> &
  Record<JsonColumn, unknown>;

/** A column written on every update: all but `id` and `user_id`, which never change. */
export type MutableColumn = Exclude<
  (typeof COLUMNS)[keyof typeof COLUMNS][number],
  "id" | "userId"
>;

/** The mutable columns, each a named statement parameter. */
export const MUTABLE_COLUMNS = RECORD_COLUMNS.filter(
  (column): column is MutableColumn => column !== "id" && column !== "userId",
);

/** Epoch milliseconds as a `DATETIME(3)` literal in UTC (for comparisons in `WHERE`). */
export function toDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace("T", " ");
}

/** A `DATETIME(3)` value in UTC as epoch milliseconds. */
export function fromDatetime(value: string): number {
  return Date.parse(`${value.replace(" ", "T")}Z`);
}

/** A JSON column's value: text from MariaDB (LONGTEXT), already parsed from MySQL 8. */
function fromJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/** Decodes a selected row (the validate hot path: no loop, no lookup). */
export function toRecord(row: Row): SessionRecord {
  const client: StoredClient = {};
  if (row.clientIp !== null) client.ip = row.clientIp;
  if (row.clientUa !== null) client.ua = row.clientUa;
  if (row.clientDeviceId !== null) client.deviceId = row.clientDeviceId;
  return {
    id: row.id,
    userId: row.userId,
    policy: row.policy,
    impersonatedBy: row.impersonatedBy,
    version: row.version,
    secretHash: row.secretHash,
    previousSecretHash: row.previousSecretHash,
    rotationNonce: row.rotationNonce,
    retiredSecretHashes: fromJson<string[]>(row.retiredSecretHashes),
    data: fromJson<Record<string, unknown>>(row.data),
    createdAt: fromDatetime(row.createdAt),
    authenticatedAt: fromDatetime(row.authenticatedAt),
    freshUntil: fromDatetime(row.freshUntil),
    lastActiveAt: fromDatetime(row.lastActiveAt),
    rotatedAt: fromDatetime(row.rotatedAt),
    expiresAt: fromDatetime(row.expiresAt),
    absoluteExpiresAt: fromDatetime(row.absoluteExpiresAt),
    client,
    dbsc: row.dbsc === null ? null : fromJson<StoredDeviceBinding>(row.dbsc),
  };
}

/**
 * The mutable columns' values for `record`, as the driver takes them: times as UTC `DATETIME`
 * text, JSON as text, and SQL NULL (not the JSON text `null`) for a session without DBSC. The
 * store binds them without drizzle's column encoders.
 */
export function mutableValues(record: SessionRecord): Record<MutableColumn, unknown> {
  return {
    policy: record.policy,
    impersonatedBy: record.impersonatedBy,
    version: record.version,
    secretHash: record.secretHash,
    previousSecretHash: record.previousSecretHash,
    rotationNonce: record.rotationNonce,
    retiredSecretHashes: JSON.stringify(record.retiredSecretHashes),
    data: JSON.stringify(record.data),
    createdAt: toDatetime(record.createdAt),
    authenticatedAt: toDatetime(record.authenticatedAt),
    freshUntil: toDatetime(record.freshUntil),
    lastActiveAt: toDatetime(record.lastActiveAt),
    rotatedAt: toDatetime(record.rotatedAt),
    expiresAt: toDatetime(record.expiresAt),
    absoluteExpiresAt: toDatetime(record.absoluteExpiresAt),
    clientIp: record.client.ip ?? null,
    clientUa: record.client.ua ?? null,
    clientDeviceId: record.client.deviceId ?? null,
    dbsc: record.dbsc ? JSON.stringify(record.dbsc) : null,
  };
}
