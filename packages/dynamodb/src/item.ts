/**
 * A session record as a DynamoDB item, and back. Scalars are native attributes (so the console
 * and `ConditionExpression`s can read them); `data` is a JSON string, because application data
 * may hold values a DynamoDB map cannot hold or round-trip (1e300 is past DynamoDB's number
 * range, `undefined` fields are refused), and JSON keeps exactly what the other stores keep.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { StoreUnavailableError } from "@tessera/core";
import {
  endOf,
  type SessionRecord,
  type StoredClient,
  type StoredDeviceBinding,
} from "@tessera/core/store";
import { EPOCH_ATTRIBUTE, RECORD_ATTRIBUTES } from "./attributes.js";
import type { ResolvedLayout } from "./layout.js";

/** What a `client` map may hold. */
const CLIENT_KEYS = ["ip", "ua", "deviceId"] as const satisfies readonly (keyof StoredClient)[];

/** A DynamoDB item in the low-level wire shape. */
export type Item = Record<string, AttributeValue>;

/** The primary key of the item holding session `id`: its key value in both key attributes. */
export function keyOf(layout: ResolvedLayout, id: string): Item {
  const value = layout.keyPrefix + id;
  return { [layout.partitionKey]: { S: value }, [layout.sortKey]: { S: value } };
}

/**
 * Shards of the global epoch: every strongly consistent read of one item counts against one
 * partition's 3,000 read units a second, so the hot read spreads over this many copies (by
 * session id) and a raise writes them all. Fixed: a store with another count would miss raises.
 */
export const GLOBAL_EPOCH_SHARDS = 8;

/**
 * The key of shard `shard` of the global epoch. Epoch items live in the store's own key space
 * (`keys.prefix`), under values no session id can take (ids are lowercase base32, never "!").
 */
export function globalEpochKeyOf(layout: ResolvedLayout, shard: number): Item {
  const value = `${layout.keyPrefix}!epoch!${shard}`;
  return { [layout.partitionKey]: { S: value }, [layout.sortKey]: { S: value } };
}

/** The global epoch shard the hot read of session `id` takes: spread by the id's last character. */
export function epochShardOf(id: string): number {
  return id.length === 0 ? 0 : id.charCodeAt(id.length - 1) % GLOBAL_EPOCH_SHARDS;
}

/** The key of user `userId`'s epoch item (its own partition in the store's key space). */
export function userEpochKeyOf(layout: ResolvedLayout, userId: string): Item {
  const value = `${layout.keyPrefix}!user-epoch!${userId}`;
  return { [layout.partitionKey]: { S: value }, [layout.sortKey]: { S: value } };
}

/** The epoch an epoch item holds (0 when it has none); throws `StoreUnavailableError` if unreadable. */
export function epochOf(layout: ResolvedLayout, item: Item | undefined): number {
  const value = item?.[EPOCH_ATTRIBUTE];
  if (value === undefined) return 0;
  const epoch = value.N === undefined ? Number.NaN : Number(value.N);
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new StoreUnavailableError(
      `DynamoDB table "${layout.tableName}" holds an unreadable epoch item (${EPOCH_ATTRIBUTE})`,
    );
  }
  return epoch;
}

/** The primary key of user `userId`'s index item for session `id`. */
export function indexKeyOf(layout: ResolvedLayout, userId: string, id: string): Item {
  return {
    [layout.partitionKey]: { S: layout.userPrefix + userId },
    [layout.sortKey]: { S: layout.keyPrefix + id },
  };
}

/**
 * The index item of a session: its key under the user's partition, and a TTL at the session's
 * absolute expiry (the session can never outlive it), so it is written once, at login, and never
 * again on a rotation or an idle extension.
 */
export function indexItemOf(layout: ResolvedLayout, userId: string, record: SessionRecord): Item {
  return {
    ...indexKeyOf(layout, userId, record.id),
    [layout.ttlAttribute]: { N: String(ttlSeconds(record.absoluteExpiresAt)) },
  };
}

/** Epoch seconds DynamoDB's TTL may delete the item after: never before the session ends. */
export function ttlSeconds(endsAt: number): number {
  return Math.ceil(endsAt / 1000);
}

class UnreadableItem extends Error {}

// ---- writing -----------------------------------------------------------------------------
// Each field is written by name, not through a generic marshaller: a session item is built in
// one object literal, with nothing looked up per field. `RecordAttributes` below makes a field
// added to the record fail to compile here until it is written and read.

/** The attribute of a field kept as a string. */
function s(value: string): AttributeValue {
  return { S: value };
}

/** The attribute of a field kept as a number (an integer or epoch milliseconds). */
function n(value: number): AttributeValue {
  return { N: String(value) };
}

/** The stored client as a map of its set keys. */
function clientMap(client: StoredClient): AttributeValue {
  const map: Item = {};
  for (const key of CLIENT_KEYS) {
    const entry = client[key];
    if (entry !== undefined) map[key] = { S: entry };
  }
  return { M: map };
}

/**
 * Every field of record type `R` but `id` and `userId` (which live in the keys and the user
 * attribute), as the attribute it is written to, or `undefined` for a field left out (a null
 * one). `attributesOf` spells it out field by field: a record field missing there is a compile
 * error.
 */
export type RecordAttributes<R = SessionRecord> = {
  readonly [K in Exclude<keyof R, "id" | "userId">]-?: AttributeValue | undefined;
};

/** The record's own attributes; null fields are `undefined` (left out, not stored as NULL). */
export function attributesOf(record: SessionRecord): RecordAttributes {
  return {
    policy: s(record.policy),
    impersonatedBy: record.impersonatedBy === null ? undefined : s(record.impersonatedBy),
    version: n(record.version),
    secretHash: s(record.secretHash),
    previousSecretHash:
      record.previousSecretHash === null ? undefined : s(record.previousSecretHash),
    rotationNonce: record.rotationNonce === null ? undefined : s(record.rotationNonce),
    retiredSecretHashes: { L: record.retiredSecretHashes.map(s) },
    // Application data as a JSON string: see the module comment.
    data: s(JSON.stringify(record.data)),
    createdAt: n(record.createdAt),
    authenticatedAt: n(record.authenticatedAt),
    freshUntil: n(record.freshUntil),
    lastActiveAt: n(record.lastActiveAt),
    rotatedAt: n(record.rotatedAt),
    expiresAt: n(record.expiresAt),
    absoluteExpiresAt: n(record.absoluteExpiresAt),
    client: clientMap(record.client),
    // The DBSC state as a JSON string, like `data`; a session without one has no attribute.
    dbsc:
      record.dbsc === null || record.dbsc === undefined
        ? undefined
        : s(JSON.stringify(record.dbsc)),
  };
}

/** Encodes a record; null fields are left out rather than stored as NULL. */
export function toItem(layout: ResolvedLayout, record: SessionRecord): Item {
  const item = keyOf(layout, record.id);
  // A guest session (no user yet) has no user attribute, as it has no index item.
  if (record.userId !== null) item[layout.userAttribute] = { S: layout.userPrefix + record.userId };
  item[layout.ttlAttribute] = { N: String(ttlSeconds(endOf(record))) };
  const attributes = attributesOf(record);
  for (const field of RECORD_ATTRIBUTES) {
    const value = attributes[field];
    if (value !== undefined) item[field] = value;
  }
  return item;
}

// ---- reading -----------------------------------------------------------------------------

function string(value: AttributeValue | undefined, what: string): string {
  if (value?.S === undefined) throw new UnreadableItem(`${what} is not a string`);
  return value.S;
}

function nullableString(value: AttributeValue | undefined, what: string): string | null {
  return value === undefined ? null : string(value, what);
}

function number(value: AttributeValue | undefined, what: string): number {
  const parsed = value?.N === undefined ? Number.NaN : Number(value.N);
  if (!Number.isFinite(parsed)) throw new UnreadableItem(`${what} is not a number`);
  return parsed;
}

function stringList(value: AttributeValue | undefined, what: string): string[] {
  const list = value?.L;
  if (!list) throw new UnreadableItem(`${what} is not a list`);
  const strings: string[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) strings[i] = string(list[i], `an entry of ${what}`);
  return strings;
}

/** A JSON object kept as a string attribute. */
function jsonObject(value: AttributeValue | undefined, what: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(string(value, what));
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UnreadableItem(`${what} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function storedClient(value: AttributeValue | undefined, what: string): StoredClient {
  const map = value?.M;
  if (!map) throw new UnreadableItem(`${what} is not a map`);
  const client: StoredClient = {};
  for (const key of CLIENT_KEYS) {
    if (map[key] !== undefined) client[key] = string(map[key], `${what}.${key}`);
  }
  return client;
}

function withoutPrefix(value: string, prefix: string, attribute: string): string {
  if (!value.startsWith(prefix)) {
    throw new UnreadableItem(`${attribute} does not start with "${prefix}"`);
  }
  return value.slice(prefix.length);
}

/** The session id an index item's sort key names, or `null` for an item that is not one. */
export function indexedIdOf(layout: ResolvedLayout, key: Item): string | null {
  const value = key[layout.sortKey]?.S;
  if (value === undefined || !value.startsWith(layout.keyPrefix)) return null;
  return value.slice(layout.keyPrefix.length);
}

/**
 * Decodes an item, field by field into one record literal (a record field not read here is a
 * compile error). An item that is not a readable session (a foreign item under the same key, a
 * hand edit gone wrong) is a store failure, never "no session" and never a guess.
 */
export function fromItem(layout: ResolvedLayout, item: Item): SessionRecord {
  try {
    const { partitionKey, keyPrefix, userAttribute, userPrefix } = layout;
    const record: SessionRecord = {
      id: withoutPrefix(string(item[partitionKey], partitionKey), keyPrefix, partitionKey),
      userId:
        item[userAttribute] === undefined
          ? null
          : withoutPrefix(string(item[userAttribute], userAttribute), userPrefix, userAttribute),
      // Items written before policies existed have no attribute: the default policy.
      policy: item.policy === undefined ? "default" : string(item.policy, "policy"),
      impersonatedBy: nullableString(item.impersonatedBy, "impersonatedBy"),
      version: number(item.version, "version"),
      secretHash: string(item.secretHash, "secretHash"),
      previousSecretHash: nullableString(item.previousSecretHash, "previousSecretHash"),
      rotationNonce: nullableString(item.rotationNonce, "rotationNonce"),
      retiredSecretHashes: stringList(item.retiredSecretHashes, "retiredSecretHashes"),
      data: jsonObject(item.data, "data"),
      createdAt: number(item.createdAt, "createdAt"),
      authenticatedAt: number(item.authenticatedAt, "authenticatedAt"),
      freshUntil: number(item.freshUntil, "freshUntil"),
      lastActiveAt: number(item.lastActiveAt, "lastActiveAt"),
      rotatedAt: number(item.rotatedAt, "rotatedAt"),
      expiresAt: number(item.expiresAt, "expiresAt"),
      absoluteExpiresAt: number(item.absoluteExpiresAt, "absoluteExpiresAt"),
      client: storedClient(item.client, "client"),
      // Items written before DBSC existed have no attribute: no device binding.
      dbsc:
        item.dbsc === undefined
          ? null
          : (jsonObject(item.dbsc, "dbsc") as unknown as StoredDeviceBinding),
    };
    return record;
  } catch (error) {
    throw new StoreUnavailableError(
      `DynamoDB table "${layout.tableName}" holds an unreadable session item`,
      { cause: error },
    );
  }
}
