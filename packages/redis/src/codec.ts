/**
 * The stored form of a session: a versioned JSON array, positional instead of keyed, with times
 * after `createdAt` kept as offsets from it. A fresh session with a small data object is about
 * 200 bytes of value, which keeps the whole key under the 400-byte budget in Redis.
 *
 * Format 1, by position: format (1), userId, version, secretHash, previousSecretHash or 0,
 * rotationNonce or 0, retiredSecretHashes, data, createdAt, then authenticatedAt, freshUntil,
 * lastActiveAt, rotatedAt, expiresAt and absoluteExpiresAt as offsets from createdAt, then
 * client.ip, client.ua and client.deviceId, each or 0, then the DBSC state (an object) or 0,
 * trailing zeros dropped. Values written before the DBSC slot existed simply end earlier: they
 * read back with `dbsc: null`, so the format number did not change.
 *
 * The id is not stored: it is in the key. Positions 0 to 2 are the *header*, fixed for every
 * future format too: the Lua scripts compare it as a string (compare-and-swap on version,
 * ownership on delete) without decoding the rest.
 *
 * An offset is written as a plain number when `createdAt + offset` gives back the exact time
 * (always, for integer milliseconds); otherwise the absolute time is written as `[time]`, so no
 * value ever changes in a round trip.
 */
import {
  fieldsOfKind,
  type PerField,
  type SessionRecord,
  type StoredClient,
} from "@tessera/core/store";

/** The format written by this version of the store. */
export const FORMAT = 1;

/**
 * Format 1, field by field: the position of each field in the stored array. `id` is in the key
 * (no position); `client` takes the last three (ip, ua, deviceId). A field added to the record
 * does not compile here until a new format gives it a place.
 */
const POSITION = {
  id: null,
  userId: 1,
  version: 2,
  secretHash: 3,
  previousSecretHash: 4,
  rotationNonce: 5,
  retiredSecretHashes: 6,
  data: 7,
  createdAt: 8,
  authenticatedAt: 9,
  freshUntil: 10,
  lastActiveAt: 11,
  rotatedAt: 12,
  expiresAt: 13,
  absoluteExpiresAt: 14,
  client: 15,
  dbsc: 18,
} as const satisfies PerField<number | null>;

type Time = number | [number];

function offset(createdAt: number, time: number): Time {
  const delta = time - createdAt;
  return createdAt + delta === time ? delta : [time];
}

function absolute(createdAt: number, value: unknown): number {
  if (typeof value === "number") return createdAt + value;
  if (Array.isArray(value) && typeof value[0] === "number") return value[0];
  throw new TypeError("a time field is neither an offset nor [absolute]");
}

/** The times kept as offsets from `createdAt`: every time field but `createdAt` itself. */
const OFFSET_TIMES = fieldsOfKind("time").filter((field) => field !== "createdAt");

/**
 * The header a stored value starts with after its format number: `,<userId>,` or, with a
 * version, `,<userId>,<version>,`. Scripts compare it from the first comma on.
 */
export function header(userId: string, version?: number): string {
  return version === undefined
    ? `,${JSON.stringify(userId)},`
    : `,${JSON.stringify(userId)},${JSON.stringify(version)},`;
}

/** Serialises a record (without its id) to the stored string. */
export function encode(record: SessionRecord): string {
  const c = record.createdAt;
  const client = record.client ?? {};
  const fields: unknown[] = [FORMAT];
  fields[POSITION.userId] = record.userId;
  fields[POSITION.version] = record.version;
  fields[POSITION.secretHash] = record.secretHash;
  fields[POSITION.previousSecretHash] = record.previousSecretHash ?? 0;
  fields[POSITION.rotationNonce] = record.rotationNonce ?? 0;
  fields[POSITION.retiredSecretHashes] = record.retiredSecretHashes;
  fields[POSITION.data] = record.data;
  fields[POSITION.createdAt] = c;
  for (const field of OFFSET_TIMES) fields[POSITION[field]] = offset(c, record[field]);
  fields[POSITION.client] = client.ip ?? 0;
  fields[POSITION.client + 1] = client.ua ?? 0;
  fields[POSITION.client + 2] = client.deviceId ?? 0;
  fields[POSITION.dbsc] = record.dbsc ?? 0;
  while (fields.length > POSITION.client && fields[fields.length - 1] === 0) fields.pop();
  return JSON.stringify(fields);
}

/** Whether every item is a string (a loop: no callback allocated per decode). */
function allStrings(items: unknown[]): items is string[] {
  for (let i = 0; i < items.length; i++) if (typeof items[i] !== "string") return false;
  return true;
}

const optionalString = (value: unknown): string | null =>
  typeof value === "string" ? value : null;

/**
 * Parses a stored string back into the record with id `id`. Throws `TypeError` on anything that
 * is not a well-formed format-1 value (the store reports it as unavailable, never as a session).
 */
export function decode(id: string, stored: string): SessionRecord {
  const fields: unknown = JSON.parse(stored);
  if (!Array.isArray(fields) || fields.length < POSITION.client) {
    throw new TypeError("stored session is not a record array");
  }
  if (fields[0] !== FORMAT) {
    throw new TypeError(`stored session has format ${String(fields[0])}, expected ${FORMAT}`);
  }
  const userId: unknown = fields[POSITION.userId];
  const version: unknown = fields[POSITION.version];
  const secretHash: unknown = fields[POSITION.secretHash];
  const retired: unknown = fields[POSITION.retiredSecretHashes];
  const data: unknown = fields[POSITION.data];
  const createdAt: unknown = fields[POSITION.createdAt];
  if (
    typeof userId !== "string" ||
    typeof version !== "number" ||
    typeof secretHash !== "string" ||
    !Array.isArray(retired) ||
    !allStrings(retired) ||
    data === null ||
    typeof data !== "object" ||
    Array.isArray(data) ||
    typeof createdAt !== "number"
  ) {
    throw new TypeError("stored session has a malformed header or body");
  }
  const client: StoredClient = {};
  const ip = optionalString(fields[POSITION.client]);
  const ua = optionalString(fields[POSITION.client + 1]);
  const deviceId = optionalString(fields[POSITION.client + 2]);
  if (ip !== null) client.ip = ip;
  if (ua !== null) client.ua = ua;
  if (deviceId !== null) client.deviceId = deviceId;
  const dbsc: unknown = fields[POSITION.dbsc];
  if (dbsc !== undefined && dbsc !== 0 && (dbsc === null || typeof dbsc !== "object")) {
    throw new TypeError("stored session has a malformed DBSC state");
  }
  const record: SessionRecord = {
    id,
    userId,
    version,
    secretHash,
    previousSecretHash: optionalString(fields[POSITION.previousSecretHash]),
    rotationNonce: optionalString(fields[POSITION.rotationNonce]),
    retiredSecretHashes: retired,
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
    dbsc: dbsc === undefined || dbsc === 0 ? null : (dbsc as SessionRecord["dbsc"]),
  };
  for (const field of OFFSET_TIMES) record[field] = absolute(createdAt, fields[POSITION[field]]);
  return record;
}

/** The user id in a stored value's header, or `null` if the value is unreadable. */
export function storedUserId(stored: string): string | null {
  try {
    const fields: unknown = JSON.parse(stored);
    return Array.isArray(fields) && typeof fields[1] === "string" ? fields[1] : null;
  } catch {
    return null;
  }
}
