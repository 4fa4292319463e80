/**
 * The stored form of a session: a versioned JSON array, positional instead of keyed, with times
 * after `createdAt` kept as offsets from it. A fresh session with a small data object is about
 * 200 bytes of value, which keeps the whole key under the 400-byte budget in Redis.
 *
 * Format 1, by position: format (1), userId, version, secretHash, previousSecretHash or 0,
 * rotationNonce or 0, retiredSecretHashes, data, createdAt, then authenticatedAt, freshUntil,
 * lastActiveAt, rotatedAt, expiresAt and absoluteExpiresAt as offsets from createdAt, then
 * client.ip, client.ua and client.deviceId, each or 0, trailing zeros dropped.
 *
 * The id is not stored: it is in the key. Positions 0 to 2 are the *header*, fixed for every
 * future format too: the Lua scripts compare it as a string (compare-and-swap on version,
 * ownership on delete) without decoding the rest.
 *
 * An offset is written as a plain number when `createdAt + offset` gives back the exact time
 * (always, for integer milliseconds); otherwise the absolute time is written as `[time]`, so no
 * value ever changes in a round trip.
 */
import type { SessionRecord, StoredClient } from "@tessera/core";

/** The format written by this version of the store. */
export const FORMAT = 1;

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
  const fields: unknown[] = [
    FORMAT,
    record.userId,
    record.version,
    record.secretHash,
    record.previousSecretHash ?? 0,
    record.rotationNonce ?? 0,
    record.retiredSecretHashes,
    record.data,
    c,
    offset(c, record.authenticatedAt),
    offset(c, record.freshUntil),
    offset(c, record.lastActiveAt),
    offset(c, record.rotatedAt),
    offset(c, record.expiresAt),
    offset(c, record.absoluteExpiresAt),
    client.ip ?? 0,
    client.ua ?? 0,
    client.deviceId ?? 0,
  ];
  while (fields.length > 15 && fields[fields.length - 1] === 0) fields.pop();
  return JSON.stringify(fields);
}

const optionalString = (value: unknown): string | null =>
  typeof value === "string" ? value : null;

/**
 * Parses a stored string back into the record with id `id`. Throws `TypeError` on anything that
 * is not a well-formed format-1 value (the store reports it as unavailable, never as a session).
 */
export function decode(id: string, stored: string): SessionRecord {
  const fields: unknown = JSON.parse(stored);
  if (!Array.isArray(fields) || fields.length < 15) {
    throw new TypeError("stored session is not a record array");
  }
  if (fields[0] !== FORMAT) {
    throw new TypeError(`stored session has format ${String(fields[0])}, expected ${FORMAT}`);
  }
  const [, userId, version, secretHash, previous, nonce, retired, data, createdAt] = fields;
  if (
    typeof userId !== "string" ||
    typeof version !== "number" ||
    typeof secretHash !== "string" ||
    !Array.isArray(retired) ||
    !retired.every((hash) => typeof hash === "string") ||
    data === null ||
    typeof data !== "object" ||
    Array.isArray(data) ||
    typeof createdAt !== "number"
  ) {
    throw new TypeError("stored session has a malformed header or body");
  }
  const client: StoredClient = {};
  const ip = optionalString(fields[15]);
  const ua = optionalString(fields[16]);
  const deviceId = optionalString(fields[17]);
  if (ip !== null) client.ip = ip;
  if (ua !== null) client.ua = ua;
  if (deviceId !== null) client.deviceId = deviceId;
  return {
    id,
    userId,
    version,
    secretHash,
    previousSecretHash: optionalString(previous),
    rotationNonce: optionalString(nonce),
    retiredSecretHashes: retired as string[],
    data: data as Record<string, unknown>,
    createdAt,
    authenticatedAt: absolute(createdAt, fields[9]),
    freshUntil: absolute(createdAt, fields[10]),
    lastActiveAt: absolute(createdAt, fields[11]),
    rotatedAt: absolute(createdAt, fields[12]),
    expiresAt: absolute(createdAt, fields[13]),
    absoluteExpiresAt: absolute(createdAt, fields[14]),
    client,
  };
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
