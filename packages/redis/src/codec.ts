/**
 * The stored form of a session (format 2): the record's fields as text, by position, separated
 * by the ASCII unit separator (0x1F), with no JSON around them. A fresh session of a logged-in
 * user (IPv4 address, user-agent fingerprint, empty data) is about 120 bytes, which puts the value
 * in a 128-byte allocation in Redis (format 1, a JSON array, took 192).
 *
 * Position: 0 format (`2`), 1 version (decimal), 2 userId, 3 secretHash, 4 createdAt, then as
 * offsets from createdAt: 5 expiresAt, 6 absoluteExpiresAt, 7 authenticatedAt, 8 freshUntil,
 * 9 lastActiveAt, 10 rotatedAt; then 11 client.ip, 12 client.ua, 13 data, 14 previousSecretHash,
 * 15 rotationNonce, 16 retiredSecretHashes, 17 client.deviceId, 18 dbsc, 19 policy,
 * 20 impersonatedBy. Empty fields at the end are dropped. The id is not stored: it is in the key.
 *
 * - A string is written as it is, unless it is empty, starts with `"` or contains a control
 *   character (so never the separator): then as a JSON string. An empty field is `null` (or the
 *   field's default: `{}` data, `[]` hashes, `"default"` policy, an absent client part).
 * - A time is an integer in base 36 (createdAt itself, the others as offsets from it; an empty
 *   offset is 0). A time that is not an exact integer offset is written whole as `~<decimal>`, so
 *   no value changes in a round trip.
 * - data and dbsc are JSON; retired hashes are space-separated (JSON when one is not a plain
 *   token).
 *
 * Positions 0 to 6 are what the Lua scripts read (format, version, owner, and the absolute
 * expiry for the index), by splitting on the separator, without decoding the rest.
 */
import type { PerField, SessionRecord, StoredClient } from "@tessera/core/store";

/** The format written by this version of the store. */
export const FORMAT = "2";

/** Separates the fields of a stored value. */
export const SEPARATOR = "\u001f";

/**
 * Format 2, field by field: the position of each field. `id` is in the key (no position);
 * `client` takes 11 (ip), 12 (ua) and 17 (deviceId). A field added to the record does not compile
 * here until the format gives it a place.
 */
const POSITION = {
  id: null,
  version: 1,
  userId: 2,
  secretHash: 3,
  createdAt: 4,
  expiresAt: 5,
  absoluteExpiresAt: 6,
  authenticatedAt: 7,
  freshUntil: 8,
  lastActiveAt: 9,
  rotatedAt: 10,
  client: 11,
  data: 13,
  previousSecretHash: 14,
  rotationNonce: 15,
  retiredSecretHashes: 16,
  dbsc: 18,
  policy: 19,
  impersonatedBy: 20,
} as const satisfies PerField<number | null>;

const UA = 12;
const DEVICE_ID = 17;

/** The times kept as offsets from `createdAt`, in their positions. */
const OFFSET_TIMES = [
  "expiresAt",
  "absoluteExpiresAt",
  "authenticatedAt",
  "freshUntil",
  "lastActiveAt",
  "rotatedAt",
] as const;

/** Whether `value` has a control character (the separator is one). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20) return true;
  return false;
}

/** A string field: as it is when that is unambiguous, else as a JSON string. */
export function text(value: string): string {
  return value.length === 0 || value.charCodeAt(0) === 34 || hasControl(value)
    ? JSON.stringify(value)
    : value;
}

function optionalText(value: string | null | undefined): string {
  return value === null || value === undefined ? "" : text(value);
}

function readText(field: string): string | null {
  if (field === "") return null;
  if (field.charCodeAt(0) !== 34) return field;
  const value: unknown = JSON.parse(field);
  if (typeof value !== "string") throw new TypeError("a stored string field is not a string");
  return value;
}

const BASE36 = /^-?[0-9a-z]+$/;

function time(value: number): string {
  return Number.isSafeInteger(value) ? value.toString(36) : `~${String(value)}`;
}

function offset(createdAt: number, value: number): string {
  const delta = value - createdAt;
  if (Number.isSafeInteger(delta) && createdAt + delta === value) {
    return delta === 0 ? "" : delta.toString(36);
  }
  return `~${String(value)}`;
}

function readNumber(field: string): number {
  if (field.startsWith("~")) {
    const value = Number(field.slice(1));
    if (Number.isFinite(value) && field.length > 1) return value;
  } else if (BASE36.test(field)) {
    return Number.parseInt(field, 36);
  }
  throw new TypeError("a stored time is malformed");
}

const TOKEN = /^[A-Za-z0-9_\-+/=.]+$/;

function hashes(list: readonly string[]): string {
  if (list.length === 0) return "";
  return list.every((hash) => TOKEN.test(hash)) ? list.join(" ") : JSON.stringify(list);
}

function readHashes(field: string): string[] {
  if (field === "") return [];
  if (!field.startsWith("[")) return field.split(" ");
  const list: unknown = JSON.parse(field);
  if (!Array.isArray(list) || !list.every((hash) => typeof hash === "string")) {
    throw new TypeError("stored retired hashes are not a list of strings");
  }
  return list;
}

/** The policy every record had before policies existed; stored as an empty field. */
const DEFAULT_POLICY = "default";

/** Serialises a record (without its id) to the stored string. */
export function encode(record: SessionRecord): string {
  const c = record.createdAt;
  const client = record.client ?? {};
  const fields: string[] = [];
  fields[0] = FORMAT;
  fields[POSITION.version] = String(record.version);
  fields[POSITION.userId] = optionalText(record.userId);
  fields[POSITION.secretHash] = text(record.secretHash);
  fields[POSITION.createdAt] = time(c);
  for (const field of OFFSET_TIMES) fields[POSITION[field]] = offset(c, record[field]);
  fields[POSITION.client] = optionalText(client.ip);
  fields[UA] = optionalText(client.ua);
  const data = JSON.stringify(record.data);
  fields[POSITION.data] = data === "{}" ? "" : data;
  fields[POSITION.previousSecretHash] = optionalText(record.previousSecretHash);
  fields[POSITION.rotationNonce] = optionalText(record.rotationNonce);
  fields[POSITION.retiredSecretHashes] = hashes(record.retiredSecretHashes);
  fields[DEVICE_ID] = optionalText(client.deviceId);
  fields[POSITION.dbsc] = record.dbsc ? JSON.stringify(record.dbsc) : "";
  fields[POSITION.policy] = record.policy === DEFAULT_POLICY ? "" : text(record.policy);
  fields[POSITION.impersonatedBy] = optionalText(record.impersonatedBy);
  while (fields.length > POSITION.createdAt && fields[fields.length - 1] === "") fields.pop();
  return fields.join(SEPARATOR);
}

/**
 * Parses a stored string back into the record with id `id`. Throws `TypeError` on anything that
 * is not a well-formed format-2 value (the store reports it as unavailable, never as a session).
 */
/** Fields a decode reads (positions 0 to 20); any after them are ignored. */
const FIELDS = 21;

/**
 * Where each field of the value being decoded starts and ends: shared by every decode, which is
 * synchronous, so reading a record splits nothing into an array of substrings.
 */
const starts = new Int32Array(FIELDS);
const ends = new Int32Array(FIELDS);

/** Marks the fields of `stored` in `starts` / `ends`; returns how many (at most `FIELDS`). */
function markFields(stored: string): number {
  let count = 0;
  let start = 0;
  while (count < FIELDS) {
    const found = stored.indexOf(SEPARATOR, start);
    const end = found === -1 ? stored.length : found;
    starts[count] = start;
    ends[count] = end;
    count++;
    if (found === -1) break;
    start = end + 1;
  }
  return count;
}

/** Field `position` of the value being decoded; `""` past the end (trailing empties are dropped). */
function fieldAt(stored: string, count: number, position: number): string {
  return position < count ? stored.slice(starts[position], ends[position]) : "";
}

/** `readText` of field `position`, without a substring for an empty field. */
function textAt(stored: string, count: number, position: number): string | null {
  if (position >= count || starts[position] === ends[position]) return null;
  return readText(stored.slice(starts[position], ends[position]));
}

/** `readNumber` of characters `start` to `end` of `stored`, without a substring for base 36. */
function numberIn(stored: string, start: number, end: number): number {
  if (start < end && stored.charCodeAt(start) === 126 /* ~ */) {
    return readNumber(stored.slice(start, end));
  }
  const negative = start < end && stored.charCodeAt(start) === 45; /* - */
  let i = negative ? start + 1 : start;
  if (i === end) throw new TypeError("a stored time is malformed");
  // Up to 10 base-36 digits are exact in a double; longer (never written) go through parseInt.
  const exact = end - i <= 10;
  let value = 0;
  for (; i < end; i++) {
    const code = stored.charCodeAt(i);
    let digit: number;
    if (code >= 48 && code <= 57) digit = code - 48;
    else if (code >= 97 && code <= 122) digit = code - 87;
    else throw new TypeError("a stored time is malformed");
    value = value * 36 + digit;
  }
  if (!exact) return Number.parseInt(stored.slice(start, end), 36);
  return negative ? -value : value;
}

/** `readOffset` of field `position`. */
function offsetAt(stored: string, count: number, createdAt: number, position: number): number {
  if (position >= count) return createdAt;
  const start = starts[position]!;
  const end = ends[position]!;
  if (start === end) return createdAt;
  const value = numberIn(stored, start, end);
  return stored.charCodeAt(start) === 126 /* ~ */ ? value : createdAt + value;
}

/**
 * Parses a stored string back into the record with id `id`. Throws `TypeError` on anything that
 * is not a well-formed format-2 value (the store reports it as unavailable, never as a session).
 */
export function decode(id: string, stored: string): SessionRecord {
  const count = markFields(stored);
  if (ends[0]! - starts[0]! !== 1 || stored.charCodeAt(0) !== 50 /* FORMAT "2" */) {
    throw new TypeError(
      `stored session has format ${JSON.stringify(fieldAt(stored, count, 0).slice(0, 8))}, expected ${FORMAT}`,
    );
  }
  if (count <= POSITION.createdAt) throw new TypeError("stored session is too short");
  const version = Number(fieldAt(stored, count, POSITION.version));
  const secretHash = textAt(stored, count, POSITION.secretHash);
  if (!Number.isSafeInteger(version) || secretHash === null) {
    throw new TypeError("stored session has a malformed header");
  }
  const createdAt = numberIn(stored, starts[POSITION.createdAt]!, ends[POSITION.createdAt]!);
  const client: StoredClient = {};
  const ip = textAt(stored, count, POSITION.client);
  const ua = textAt(stored, count, UA);
  const deviceId = textAt(stored, count, DEVICE_ID);
  if (ip !== null) client.ip = ip;
  if (ua !== null) client.ua = ua;
  if (deviceId !== null) client.deviceId = deviceId;
  const dataField = fieldAt(stored, count, POSITION.data);
  const data: unknown = dataField === "" ? {} : JSON.parse(dataField);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new TypeError("stored session data is not an object");
  }
  const dbscField = fieldAt(stored, count, POSITION.dbsc);
  const dbsc: unknown = dbscField === "" ? null : JSON.parse(dbscField);
  if (dbsc !== null && typeof dbsc !== "object") {
    throw new TypeError("stored session has a malformed DBSC state");
  }
  const record: SessionRecord = {
    id,
    userId: textAt(stored, count, POSITION.userId),
    policy: textAt(stored, count, POSITION.policy) ?? DEFAULT_POLICY,
    impersonatedBy: textAt(stored, count, POSITION.impersonatedBy),
    version,
    secretHash,
    previousSecretHash: textAt(stored, count, POSITION.previousSecretHash),
    rotationNonce: textAt(stored, count, POSITION.rotationNonce),
    retiredSecretHashes: readHashes(fieldAt(stored, count, POSITION.retiredSecretHashes)),
    data: data as Record<string, unknown>,
    createdAt,
    // The offset times, filled in below.
    authenticatedAt: 0,
    freshUntil: 0,
    lastActiveAt: 0,
    rotatedAt: 0,
    expiresAt: 0,
    absoluteExpiresAt: 0,
    client,
    dbsc: dbsc as SessionRecord["dbsc"],
  };
  for (const field of OFFSET_TIMES) {
    record[field] = offsetAt(stored, count, createdAt, POSITION[field]);
  }
  return record;
}
