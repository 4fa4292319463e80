/**
 * A session record as a row of the sessions table, and back. Every field has a column of its
 * own (typed columns rather than one jsonb document: see the README), named in `COLUMNS`.
 */
import {
  type ColumnOf,
  columnLayout,
  type FieldOfKind,
  fieldsOfKind,
  type MutableColumnOf,
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

/** A column the store reads and writes. */
export type RecordColumn = ColumnOf<typeof COLUMNS>;

/** Where each column sits in a selected row, and which an update writes (the store kit's layout). */
const LAYOUT = columnLayout(COLUMNS);

/** The time columns, which reads select as epoch milliseconds (see `selection` in the store). */
export type TimeColumn = (typeof COLUMNS)[FieldOfKind<"time">][number];
export const TIME_COLUMNS: readonly TimeColumn[] = fieldsOfKind("time").flatMap(
  (field) => COLUMNS[field],
);

/**
 * Every column the store reads, in the order reads select them: a selected row is an array
 * (the driver's array row mode), `row[AT[column]]` is that column's value.
 */
export const RECORD_COLUMNS: readonly RecordColumn[] = LAYOUT.columns;

/** The position of each column in a selected row. */
export const AT: Readonly<Record<RecordColumn, number>> = LAYOUT.at;

/**
 * A row as the store reads it: one value per column of `RECORD_COLUMNS`, in that order. The reads
 * pack it into a JSON array (see `packed` in the store), so times are epoch-millisecond numbers,
 * jsonb is parsed JSON and `text[]` an array; the mapping also takes the driver's own forms of
 * each column (a time as a numeric string, jsonb as text, `text[]` as its literal).
 */
export type SelectedRow = readonly unknown[];

/** A column written on every update: all but `id` and `user_id`, which never change. */
export type MutableColumn = MutableColumnOf<typeof COLUMNS>;

/** The mutable columns, each a named statement parameter. */
export const MUTABLE_COLUMNS: readonly MutableColumn[] = LAYOUT.mutable;

/** A jsonb value: parsed by node-postgres, postgres.js and PGlite; text from other drivers. */
function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/**
 * A `text[]` of hashes: an array from the drivers that parse arrays, else the array literal.
 * Hashes are base64url (no comma, quote, brace or space), so the literal needs no unquoting.
 */
function hashes(value: unknown): string[] {
  if (Array.isArray(value)) return value as string[];
  const literal = String(value);
  return literal === "{}" ? [] : literal.slice(1, -1).split(",");
}

/** How the hot read maps a row: a function from a selected row to a record of type `R`. */
export type RowMapping<R> = (row: SelectedRow) => R;

/**
 * Decodes a selected row by hand (the validate hot path: no drizzle decoders, no loop). The
 * object literal is typed as the record: a field added to `SessionRecord` does not compile here
 * until it is read from its column (a test in `test/types.test.ts` holds this).
 */
export const toRecord: RowMapping<SessionRecord> = (row) => {
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
    retiredSecretHashes: hashes(row[AT.retiredSecretHashes]),
    data: json<Record<string, unknown>>(row[AT.data]),
    createdAt: Number(row[AT.createdAt]),
    authenticatedAt: Number(row[AT.authenticatedAt]),
    freshUntil: Number(row[AT.freshUntil]),
    lastActiveAt: Number(row[AT.lastActiveAt]),
    rotatedAt: Number(row[AT.rotatedAt]),
    expiresAt: Number(row[AT.expiresAt]),
    absoluteExpiresAt: Number(row[AT.absoluteExpiresAt]),
    client,
    dbsc: dbsc === null || dbsc === undefined ? null : json<StoredDeviceBinding>(dbsc),
  };
};

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
