/**
 * The record's field list, typed against `SessionRecord`: every store codec is built from it (or
 * from a `PerField` table of its own), so a field added to the record fails to compile in every
 * codec until that codec says how it keeps the field.
 */
import type { SessionRecord } from "./record.js";

/** How a field is kept, whatever the store. */
export type FieldKind =
  /** A string, never empty. */
  | "string"
  /** A string or `null`. */
  | "nullable-string"
  /** A whole number (the CAS version). */
  | "integer"
  /** Unix epoch milliseconds. */
  | "time"
  /** A list of strings. */
  | "string-list"
  /** Application JSON (an object). */
  | "json"
  /** The stored client (`StoredClient`): a small object of optional strings. */
  | "client"
  /**
   * The DBSC state (`StoredDeviceBinding`) or `null`: kept whole as JSON (a column, an attribute
   * or an array slot), never split, since only core reads inside it.
   */
  | "device-binding";

/** One entry per field of `SessionRecord`; a table a codec writes must have every field. */
export type PerField<T> = { readonly [K in keyof SessionRecord]-?: T };

/** Every field of the record and how it is kept. */
export const RECORD_FIELDS = {
  id: "string",
  userId: "nullable-string",
  policy: "string",
  impersonatedBy: "nullable-string",
  version: "integer",
  secretHash: "string",
  previousSecretHash: "nullable-string",
  rotationNonce: "nullable-string",
  retiredSecretHashes: "string-list",
  data: "json",
  createdAt: "time",
  authenticatedAt: "time",
  freshUntil: "time",
  lastActiveAt: "time",
  rotatedAt: "time",
  expiresAt: "time",
  absoluteExpiresAt: "time",
  client: "client",
  dbsc: "device-binding",
} as const satisfies PerField<FieldKind>;

/** A field name of the record. */
export type RecordField = keyof SessionRecord;

/** The field names, in a stable order. */
export const RECORD_FIELD_NAMES = Object.freeze(
  Object.keys(RECORD_FIELDS),
) as readonly RecordField[];

/** The fields kept as `kind`, as a type (e.g. `FieldOfKind<"time">` is `"createdAt" | ...`). */
export type FieldOfKind<K extends FieldKind> = {
  [F in RecordField]: (typeof RECORD_FIELDS)[F] extends K ? F : never;
}[RecordField];

/** The names of the fields of one kind (e.g. every `time` field, for a codec's conversions). */
export function fieldsOfKind<K extends FieldKind>(kind: K): readonly FieldOfKind<K>[] {
  return RECORD_FIELD_NAMES.filter((name): name is FieldOfKind<K> => RECORD_FIELDS[name] === kind);
}
