/**
 * A session record as a DynamoDB item, and back. Scalars are native attributes (so the console
 * and `ConditionExpression`s can read them); `data` is a JSON string, because application data
 * may hold values a DynamoDB map cannot hold or round-trip (1e300 is past DynamoDB's number
 * range, `undefined` fields are refused), and JSON keeps exactly what the other stores keep.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { type SessionRecord, type StoredClient, StoreUnavailableError } from "@tessera/core";
import type { ResolvedLayout } from "./layout.js";

/** A DynamoDB item in the low-level wire shape. */
export type Item = Record<string, AttributeValue>;

/** The primary key of the item holding session `id`: its key value in both key attributes. */
export function keyOf(layout: ResolvedLayout, id: string): Item {
  const value = layout.keyPrefix + id;
  return { [layout.partitionKey]: { S: value }, [layout.sortKey]: { S: value } };
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
export function indexItemOf(layout: ResolvedLayout, record: SessionRecord): Item {
  return {
    ...indexKeyOf(layout, record.userId, record.id),
    [layout.ttlAttribute]: { N: String(ttlSeconds(record.absoluteExpiresAt)) },
  };
}

/** Epoch seconds DynamoDB's TTL may delete the item after: never before `expiresAt`. */
export function ttlSeconds(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000);
}

const numberValue = (value: number): AttributeValue => ({ N: String(value) });

/** Encodes a record; null fields are left out rather than stored as NULL. */
export function toItem(layout: ResolvedLayout, record: SessionRecord): Item {
  const item = keyOf(layout, record.id);
  item[layout.userAttribute] = { S: layout.userPrefix + record.userId };
  item[layout.ttlAttribute] = numberValue(ttlSeconds(record.expiresAt));
  item.version = numberValue(record.version);
  item.secretHash = { S: record.secretHash };
  if (record.previousSecretHash !== null) {
    item.previousSecretHash = { S: record.previousSecretHash };
  }
  if (record.rotationNonce !== null) item.rotationNonce = { S: record.rotationNonce };
  item.retiredSecretHashes = { L: record.retiredSecretHashes.map((hash) => ({ S: hash })) };
  item.data = { S: JSON.stringify(record.data) };
  item.createdAt = numberValue(record.createdAt);
  item.authenticatedAt = numberValue(record.authenticatedAt);
  item.freshUntil = numberValue(record.freshUntil);
  item.lastActiveAt = numberValue(record.lastActiveAt);
  item.rotatedAt = numberValue(record.rotatedAt);
  item.expiresAt = numberValue(record.expiresAt);
  item.absoluteExpiresAt = numberValue(record.absoluteExpiresAt);
  const client: Item = {};
  for (const field of ["ip", "ua", "deviceId"] as const) {
    const value = record.client[field];
    if (value !== undefined) client[field] = { S: value };
  }
  item.client = { M: client };
  return item;
}

class UnreadableItem extends Error {}

function string(item: Item, attribute: string): string {
  const value = item[attribute]?.S;
  if (value === undefined) throw new UnreadableItem(`${attribute} is not a string`);
  return value;
}

function optionalString(item: Item, attribute: string): string | null {
  return item[attribute] === undefined ? null : string(item, attribute);
}

function readNumber(item: Item, attribute: string): number {
  const raw = item[attribute]?.N;
  const value = raw === undefined ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw new UnreadableItem(`${attribute} is not a number`);
  return value;
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
 * Decodes an item. An item that is not a readable session (a foreign item under the same key,
 * a hand edit gone wrong) is a store failure, never "no session" and never a guess.
 */
export function fromItem(layout: ResolvedLayout, item: Item): SessionRecord {
  try {
    const data: unknown = JSON.parse(string(item, "data"));
    if (!data || typeof data !== "object" || Array.isArray(data)) {
      throw new UnreadableItem("data is not a JSON object");
    }
    const retired = item.retiredSecretHashes?.L;
    if (!retired) throw new UnreadableItem("retiredSecretHashes is not a list");
    const clientMap = item.client?.M;
    if (!clientMap) throw new UnreadableItem("client is not a map");
    const client: StoredClient = {};
    for (const field of ["ip", "ua", "deviceId"] as const) {
      if (clientMap[field] !== undefined) client[field] = string(clientMap, field);
    }
    return {
      id: withoutPrefix(string(item, layout.partitionKey), layout.keyPrefix, layout.partitionKey),
      userId: withoutPrefix(
        string(item, layout.userAttribute),
        layout.userPrefix,
        layout.userAttribute,
      ),
      version: readNumber(item, "version"),
      secretHash: string(item, "secretHash"),
      previousSecretHash: optionalString(item, "previousSecretHash"),
      rotationNonce: optionalString(item, "rotationNonce"),
      retiredSecretHashes: retired.map((entry) => {
        if (entry.S === undefined) throw new UnreadableItem("a retired hash is not a string");
        return entry.S;
      }),
      data: data as Record<string, unknown>,
      createdAt: readNumber(item, "createdAt"),
      authenticatedAt: readNumber(item, "authenticatedAt"),
      freshUntil: readNumber(item, "freshUntil"),
      lastActiveAt: readNumber(item, "lastActiveAt"),
      rotatedAt: readNumber(item, "rotatedAt"),
      expiresAt: readNumber(item, "expiresAt"),
      absoluteExpiresAt: readNumber(item, "absoluteExpiresAt"),
      client,
    };
  } catch (error) {
    throw new StoreUnavailableError(
      `DynamoDB table "${layout.tableName}" holds an unreadable session item`,
      { cause: error },
    );
  }
}
