/**
 * A session record as a row of the sessions table, and back. Every field has a column of its
 * own, named in `COLUMNS`; times are epoch milliseconds as stored, JSON columns are decoded by
 * drizzle, so a read converts nothing but the client's three columns.
 */
import type { PerField, SessionRecord, StoredClient } from "@tessera/core/store";
import type { SessionsTable } from "./schema.js";

/** A row of the table as drizzle types it. */
export type Row = SessionsTable["$inferSelect"];
type Column = keyof Row;

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

/** Every column the store reads and writes. */
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
    policy: row.policy,
    impersonatedBy: row.impersonatedBy,
    version: row.version,
    secretHash: row.secretHash,
    previousSecretHash: row.previousSecretHash,
    rotationNonce: row.rotationNonce,
    retiredSecretHashes: row.retiredSecretHashes,
    data: row.data,
    createdAt: row.createdAt,
    authenticatedAt: row.authenticatedAt,
    freshUntil: row.freshUntil,
    lastActiveAt: row.lastActiveAt,
    rotatedAt: row.rotatedAt,
    expiresAt: row.expiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    client,
    dbsc: row.dbsc ?? null,
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
