/**
 * A session record as a row of the sessions table, and back. Every field has a column of its own
 * (typed columns rather than one JSON document, as in `@tessera/postgres`), named in `COLUMNS`.
 */
import {
  type ColumnOf,
  columnLayout,
  type MutableColumnOf,
  oncePerMillisecond,
  type PerField,
  type SessionRecord,
  type StoredClient,
  type StoredDeviceBinding,
} from "@tessera/core/store";
import type { SessionsTable } from "./schema.js";

/** A column of the table (drizzle property name). */
type Column = keyof SessionsTable["$inferSelect"];

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

/** A column the store reads and writes. */
export type RecordColumn = ColumnOf<typeof COLUMNS>;

/** Where each column sits in a selected row, and which an update writes (the store kit's layout). */
const LAYOUT = columnLayout(COLUMNS);

/**
 * Every column the store reads, in the order reads select them: a selected row is an array,
 * `row[AT[column]]` is that column's value.
 */
export const RECORD_COLUMNS: readonly RecordColumn[] = LAYOUT.columns;

/** The position of each column in a selected row. */
export const AT: Readonly<Record<RecordColumn, number>> = LAYOUT.at;

/**
 * A row as the store reads it: one value per column of `RECORD_COLUMNS`, in that order. The reads
 * pack it into one JSON array built by the server (see `packed` in the store), so times are
 * `DATETIME` text in UTC, the byte columns UTF-8 text and the JSON columns nested JSON; a JSON
 * column the server hands over as text (a LONGTEXT one on MariaDB) is parsed here.
 */
export type SelectedRow = readonly unknown[];

/** A column written on every update: all but `id` and `user_id`, which never change. */
export type MutableColumn = MutableColumnOf<typeof COLUMNS>;

/** The mutable columns, each a named statement parameter. */
export const MUTABLE_COLUMNS: readonly MutableColumn[] = LAYOUT.mutable;

/**
 * Epoch milliseconds as a `DATETIME(3)` literal in UTC (for comparisons in `WHERE`); calls in the
 * same millisecond share one string.
 */
export const toDatetime: (ms: number) => string = oncePerMillisecond((ms) =>
  new Date(ms).toISOString().slice(0, 23).replace("T", " "),
);

/**
 * A `DATETIME(3)` value in UTC, as the packed row holds it (`YYYY-MM-DD HH:MM:SS.fff`, or six
 * fractional digits from MySQL 8), as epoch milliseconds.
 */
export function fromDatetime(value: string): number {
  return Date.parse(`${value.replace(" ", "T")}Z`);
}

/**
 * A JSON column's value in the packed row: nested JSON when the server knows the column is JSON
 * (MySQL 8, MariaDB's JSON type), a string when it is plain LONGTEXT to the server.
 */
function fromJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/**
 * Decodes a selected row by hand (the validate hot path: no drizzle decoders, no loop). The
 * object literal is typed as the record: a field added to `SessionRecord` does not compile here
 * until it is read from its column.
 */
export function toRecord(row: SelectedRow): SessionRecord {
  const client: StoredClient = {};
  const ip = row[AT.clientIp];
  const ua = row[AT.clientUa];
  const deviceId = row[AT.clientDeviceId];
  if (ip !== null) client.ip = ip as string;
  if (ua !== null) client.ua = ua as string;
  if (deviceId !== null) client.deviceId = deviceId as string;
  const dbsc = row[AT.dbsc];
  return {
    id: row[AT.id] as string,
    userId: row[AT.userId] as string | null,
    policy: row[AT.policy] as string,
    impersonatedBy: row[AT.impersonatedBy] as string | null,
    version: row[AT.version] as number,
    secretHash: row[AT.secretHash] as string,
    previousSecretHash: row[AT.previousSecretHash] as string | null,
    rotationNonce: row[AT.rotationNonce] as string | null,
    retiredSecretHashes: fromJson<string[]>(row[AT.retiredSecretHashes]),
    data: fromJson<Record<string, unknown>>(row[AT.data]),
    createdAt: fromDatetime(row[AT.createdAt] as string),
    authenticatedAt: fromDatetime(row[AT.authenticatedAt] as string),
    freshUntil: fromDatetime(row[AT.freshUntil] as string),
    lastActiveAt: fromDatetime(row[AT.lastActiveAt] as string),
    rotatedAt: fromDatetime(row[AT.rotatedAt] as string),
    expiresAt: fromDatetime(row[AT.expiresAt] as string),
    absoluteExpiresAt: fromDatetime(row[AT.absoluteExpiresAt] as string),
    client,
    dbsc: dbsc === null ? null : fromJson<StoredDeviceBinding>(dbsc),
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
