/**
 * A session record as a row of the sessions table, and back. Every field has a column of its
 * own (typed columns rather than one jsonb document: see the README), named in `COLUMNS`.
 */
import {
  type FieldOfKind,
  fieldsOfKind,
  type PerField,
  type SessionRecord,
  type StoredClient,
} from "@tessera/core/store";
import type { SessionsTable } from "./schema.js";

/** A row of the table as drizzle types it. */
type TableRow = SessionsTable["$inferSelect"];
type Column = keyof TableRow;

/**
 * A row as the store selects it: the time columns come as epoch milliseconds (a number, or the
 * driver's string for a `float8`), never as `Date`s: parsing seven timestamps per read into
 * `Date`s and back was most of the client-side cost of a validate.
 */
export type Row = Omit<TableRow, TimeColumn> & Record<TimeColumn, number | string>;

/**
 * The columns (drizzle property names) each record field is kept in: `client` takes three. A
 * field added to the record does not compile here until it has a column.
 */
const COLUMNS = {
  id: ["id"],
  userId: ["userId"],
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

/** The time columns, which reads select as epoch milliseconds (see `selection` in the store). */
export type TimeColumn = (typeof COLUMNS)[FieldOfKind<"time">][number];
export const TIME_COLUMNS: readonly TimeColumn[] = fieldsOfKind("time").flatMap(
  (field) => COLUMNS[field],
);

/** Every column the store reads. */
export const RECORD_COLUMNS: readonly Column[] = Object.values(COLUMNS).flat();

/** A column written on every update: all but `id` and `user_id`, which never change. */
export type MutableColumn = Exclude<
  (typeof COLUMNS)[keyof typeof COLUMNS][number],
  "id" | "userId"
>;

/** The mutable columns, each a named statement parameter. */
export const MUTABLE_COLUMNS = RECORD_COLUMNS.filter(
  (column): column is MutableColumn => column !== "id" && column !== "userId",
);

/** Decodes a selected row (the validate hot path: no loop, no lookup). */
export function toRecord(row: Row): SessionRecord {
  const client: StoredClient = {};
  if (row.clientIp !== null) client.ip = row.clientIp;
  if (row.clientUa !== null) client.ua = row.clientUa;
  if (row.clientDeviceId !== null) client.deviceId = row.clientDeviceId;
  return {
    id: row.id,
    userId: row.userId,
    version: row.version,
    secretHash: row.secretHash,
    previousSecretHash: row.previousSecretHash,
    rotationNonce: row.rotationNonce,
    retiredSecretHashes: row.retiredSecretHashes,
    data: row.data,
    createdAt: Number(row.createdAt),
    authenticatedAt: Number(row.authenticatedAt),
    freshUntil: Number(row.freshUntil),
    lastActiveAt: Number(row.lastActiveAt),
    rotatedAt: Number(row.rotatedAt),
    expiresAt: Number(row.expiresAt),
    absoluteExpiresAt: Number(row.absoluteExpiresAt),
    client,
    dbsc: row.dbsc ?? null,
  };
}

/** The mutable columns' values for `record`, as statement parameters. */
export function mutableValues(record: SessionRecord): Record<MutableColumn, unknown> {
  return {
    version: record.version,
    secretHash: record.secretHash,
    previousSecretHash: record.previousSecretHash,
    rotationNonce: record.rotationNonce,
    retiredSecretHashes: record.retiredSecretHashes,
    data: record.data,
    createdAt: new Date(record.createdAt),
    authenticatedAt: new Date(record.authenticatedAt),
    freshUntil: new Date(record.freshUntil),
    lastActiveAt: new Date(record.lastActiveAt),
    rotatedAt: new Date(record.rotatedAt),
    expiresAt: new Date(record.expiresAt),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    clientIp: record.client.ip ?? null,
    clientUa: record.client.ua ?? null,
    clientDeviceId: record.client.deviceId ?? null,
    dbsc: record.dbsc ?? null,
  };
}
