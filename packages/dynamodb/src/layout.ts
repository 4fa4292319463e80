/**
 * Where sessions live in the table: key attribute names, key prefixes, the user index and the
 * TTL attribute. One resolved layout serves the store and the table helpers of `./setup`, so the
 * table they describe is always the table the store reads.
 */
import { TesseraConfigError } from "@tessera/core";
import { EPOCH_ATTRIBUTE, RECORD_ATTRIBUTES } from "./attributes.js";

/** How sessions are laid out in the table. Every field but `tableName` has a default. */
export interface TableLayout {
  /** Name of the DynamoDB table (a dedicated one or an existing single table). */
  tableName: string;
  /**
   * The table's primary key: a partition key and a sort key, both strings. A session item gets
   * `prefix + id` in both; a user's index items share the user's partition.
   */
  keys?: {
    /**
     * Partition key attribute (type S).
     * @defaultValue `"pk"`
     */
    partition?: string;
    /** Sort key attribute (type S). Default `"sk"`. */
    sort?: string;
    /**
     * Prefix of a session's key value before its id.
     * @defaultValue `"session#"`
     */
    prefix?: string;
  };
  /**
   * The user index, kept in the base table so it can be read with strong consistency: one small
   * item per session under the partition key `prefix + userId`, sort key = the session's key.
   */
  userIndex?: {
    /**
     * Prefix of a user's partition key value before the user id.
     * @defaultValue `"user#"`
     */
    prefix?: string;
  };
  /**
   * String attribute of a session item holding `userIndex.prefix + userId`.
   * @defaultValue `"userId"`
   */
  userAttribute?: string;
  /**
   * Number attribute (epoch seconds) DynamoDB's TTL deletes expired items by.
   * @defaultValue `"ttl"`
   */
  ttlAttribute?: string;
}

/** A layout with every default filled in and every name checked. */
export interface ResolvedLayout {
  tableName: string;
  partitionKey: string;
  sortKey: string;
  keyPrefix: string;
  userPrefix: string;
  userAttribute: string;
  ttlAttribute: string;
}

function name(value: unknown, fallback: string, what: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.length === 0 || value.length > 255) {
    throw new TesseraConfigError(`${what} must be a non-empty string of at most 255 characters`);
  }
  return value;
}

function prefix(value: unknown, fallback: string, what: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw new TesseraConfigError(`${what} must be a string`);
  return value;
}

/** Fills in defaults and rejects unusable layouts with `TesseraConfigError`. */
export function resolveLayout(layout: TableLayout): ResolvedLayout {
  if (!layout || typeof layout !== "object") {
    throw new TesseraConfigError("DynamoDB table layout must be an object with a tableName");
  }
  const tableName = layout.tableName;
  if (typeof tableName !== "string" || !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new TesseraConfigError(
      "tableName must be 3 to 255 characters of letters, digits, '_', '-' or '.'",
    );
  }
  const keys = layout.keys ?? {};
  const index = (layout.userIndex ?? {}) as Record<string, unknown>;
  for (const gone of ["name", "partition", "sort"]) {
    if (index[gone] !== undefined) {
      throw new TesseraConfigError(
        `userIndex.${gone} configured a global secondary index, which @tessera/dynamodb no longer ` +
          "reads (it is only eventually consistent: revokeAll could miss a session created a " +
          "moment before). The user index now lives in the base table; see the README's migration notes",
      );
    }
  }
  const resolved: ResolvedLayout = {
    tableName,
    partitionKey: name(keys.partition, "pk", "keys.partition"),
    sortKey: name(keys.sort, "sk", "keys.sort"),
    keyPrefix: prefix(keys.prefix, "session#", "keys.prefix"),
    userPrefix: prefix(index.prefix, "user#", "userIndex.prefix"),
    userAttribute: name(layout.userAttribute, "userId", "userAttribute"),
    ttlAttribute: name(layout.ttlAttribute, "ttl", "ttlAttribute"),
  };
  // A user's partition must never be a session's key: with neither prefix starting the other,
  // no user id can produce a session key value.
  if (
    resolved.userPrefix.length === 0 ||
    resolved.userPrefix.startsWith(resolved.keyPrefix) ||
    resolved.keyPrefix.startsWith(resolved.userPrefix)
  ) {
    throw new TesseraConfigError(
      `userIndex.prefix ("${resolved.userPrefix}") must be non-empty, and neither it nor keys.prefix ("${resolved.keyPrefix}") may start with the other`,
    );
  }
  const used = [
    resolved.partitionKey,
    resolved.sortKey,
    resolved.userAttribute,
    resolved.ttlAttribute,
  ];
  for (const attribute of used) {
    if (
      attribute === EPOCH_ATTRIBUTE ||
      (RECORD_ATTRIBUTES as readonly string[]).includes(attribute)
    ) {
      throw new TesseraConfigError(
        `attribute name "${attribute}" is used by the session record itself; pick another`,
      );
    }
  }
  if (new Set(used).size !== used.length) {
    throw new TesseraConfigError(
      "key, user and TTL attributes must all have different names: " + used.join(", "),
    );
  }
  return resolved;
}
