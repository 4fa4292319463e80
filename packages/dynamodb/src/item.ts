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
  type FieldKind,
  RECORD_FIELDS,
  type SessionRecord,
  type StoredClient,
} from "@tessera/core/store";
import { RECORD_ATTRIBUTES } from "./attributes.js";
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

/** Epoch seconds DynamoDB's TTL may delete the item after: never before the session ends. */
export function ttlSeconds(endsAt: number): number {
  return Math.ceil(endsAt / 1000);
}

class UnreadableItem extends Error {}

/** A field's value as an attribute, by how the field is kept; `undefined` leaves it out. */
function toAttribute(kind: FieldKind, value: unknown): AttributeValue | undefined {
  switch (kind) {
    case "string":
      return { S: value as string };
    case "nullable-string":
      return value === null ? undefined : { S: value as string };
    case "integer":
    case "time":
      return { N: String(value) };
    case "string-list":
      return { L: (value as string[]).map((entry) => ({ S: entry })) };
    // Application data as a JSON string: see the module comment.
    case "json":
      return { S: JSON.stringify(value) };
    case "client": {
      const client: Item = {};
      for (const key of CLIENT_KEYS) {
        const entry = (value as StoredClient)[key];
        if (entry !== undefined) client[key] = { S: entry };
      }
      return { M: client };
    }
    // The DBSC state as a JSON string, like `data`; a session without one has no attribute.
    case "device-binding":
      return value === null || value === undefined ? undefined : { S: JSON.stringify(value) };
  }
}

function string(value: AttributeValue | undefined, what: string): string {
  if (value?.S === undefined) throw new UnreadableItem(`${what} is not a string`);
  return value.S;
}

/** A field's value from its attribute; throws `UnreadableItem` when it is not what the kind says. */
function fromAttribute(kind: FieldKind, value: AttributeValue | undefined, field: string): unknown {
  switch (kind) {
    case "string":
      return string(value, field);
    case "nullable-string":
      return value === undefined ? null : string(value, field);
    case "integer":
    case "time": {
      const number = value?.N === undefined ? Number.NaN : Number(value.N);
      if (!Number.isFinite(number)) throw new UnreadableItem(`${field} is not a number`);
      return number;
    }
    case "string-list": {
      if (!value?.L) throw new UnreadableItem(`${field} is not a list`);
      return value.L.map((entry) => string(entry, `an entry of ${field}`));
    }
    case "json": {
      const data: unknown = JSON.parse(string(value, field));
      if (!data || typeof data !== "object" || Array.isArray(data)) {
        throw new UnreadableItem(`${field} is not a JSON object`);
      }
      return data;
    }
    case "client": {
      if (!value?.M) throw new UnreadableItem(`${field} is not a map`);
      const client: StoredClient = {};
      for (const key of CLIENT_KEYS) {
        if (value.M[key] !== undefined) client[key] = string(value.M[key], `${field}.${key}`);
      }
      return client;
    }
    case "device-binding": {
      // Items written before DBSC existed have no attribute: no device binding.
      if (value === undefined) return null;
      const binding: unknown = JSON.parse(string(value, field));
      if (!binding || typeof binding !== "object" || Array.isArray(binding)) {
        throw new UnreadableItem(`${field} is not a JSON object`);
      }
      return binding;
    }
  }
}

/** Encodes a record; null fields are left out rather than stored as NULL. */
export function toItem(layout: ResolvedLayout, record: SessionRecord): Item {
  const item = keyOf(layout, record.id);
  item[layout.userAttribute] = { S: layout.userPrefix + record.userId };
  item[layout.ttlAttribute] = { N: String(ttlSeconds(endOf(record))) };
  for (const field of RECORD_ATTRIBUTES) {
    const value = toAttribute(RECORD_FIELDS[field], record[field]);
    if (value !== undefined) item[field] = value;
  }
  return item;
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
    const { partitionKey, keyPrefix, userAttribute, userPrefix } = layout;
    const record: Record<string, unknown> = {
      id: withoutPrefix(string(item[partitionKey], partitionKey), keyPrefix, partitionKey),
      userId: withoutPrefix(string(item[userAttribute], userAttribute), userPrefix, userAttribute),
    };
    for (const field of RECORD_ATTRIBUTES) {
      record[field] = fromAttribute(RECORD_FIELDS[field], item[field], field);
    }
    return record as unknown as SessionRecord;
  } catch (error) {
    throw new StoreUnavailableError(
      `DynamoDB table "${layout.tableName}" holds an unreadable session item`,
      { cause: error },
    );
  }
}
