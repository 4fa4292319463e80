/**
 * A session record as a row of the sessions table, and back. Every field has a column of its
 * own, named in `COLUMNS`; times are epoch milliseconds as stored. Reads take a row as one JSON
 * array (see `packed` in the store) and map it by hand; writes bind the JSON columns through
 * drizzle's encoders.
 */
import {
  type ColumnOf,
  columnLayout,
  type MutableColumnOf,
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
 * Every column the store reads and writes, in the order reads select them: a selected row is an
 * array, `row[AT[column]]` is that column's value.
 */
export const RECORD_COLUMNS: readonly RecordColumn[] = LAYOUT.columns;

/** The position of each column in a selected row. */
export const AT: Readonly<Record<RecordColumn, number>> = LAYOUT.at;

/**
 * A row as the store reads it: one value per column of `RECORD_COLUMNS`, in that order, out of
 * the JSON array the reads pack it into (see `packed` in the store): integers are numbers, text
 * strings, NULL `null`; a JSON column is its text, parsed here.
 */
export type SelectedRow = readonly unknown[];

/** A column written on every update: all but `id` and `user_id`, which never change. */
export type MutableColumn = MutableColumnOf<typeof COLUMNS>;

/** The mutable columns, each a named statement parameter. */
export const MUTABLE_COLUMNS: readonly MutableColumn[] = LAYOUT.mutable;

/** A JSON column's value: its text, or already parsed JSON. */
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
    createdAt: row[AT.createdAt] as number,
    authenticatedAt: row[AT.authenticatedAt] as number,
    freshUntil: row[AT.freshUntil] as number,
    lastActiveAt: row[AT.lastActiveAt] as number,
    rotatedAt: row[AT.rotatedAt] as number,
    expiresAt: row[AT.expiresAt] as number,
    absoluteExpiresAt: row[AT.absoluteExpiresAt] as number,
    client,
    dbsc: dbsc === null ? null : fromJson<StoredDeviceBinding>(dbsc),
  };
}

/** The mutable columns' values for `record`, as statement parameters. */
export function mutableValues(record: SessionRecord): Record<MutableColumn, unknown> {
  return {
    policy: record.policy,
    impersonatedBy: record.impersonatedBy,
    version: record.version,
    secretHash: record.secretHash,
    previousSecretHash: record.previousSecretHash,
    rotationNonce: record.rotationNonce,
    retiredSecretHashes: record.retiredSecretHashes,
    data: record.data,
    createdAt: record.createdAt,
    authenticatedAt: record.authenticatedAt,
    freshUntil: record.freshUntil,
    lastActiveAt: record.lastActiveAt,
    rotatedAt: record.rotatedAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    clientIp: record.client.ip ?? null,
    clientUa: record.client.ua ?? null,
    clientDeviceId: record.client.deviceId ?? null,
    dbsc: record.dbsc ?? null,
  };
}
