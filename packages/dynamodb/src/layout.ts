/**
 * Where sessions live in the table: key attribute names, key prefixes, the user index and the
 * TTL attribute. One resolved layout serves the store, `tableDefinition` and `createTable`, so the
 * table they describe is always the table the store reads.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { TesseraConfigError } from "@tessera/core";

/** How sessions are laid out in the table. Every field but `tableName` has a default. */
export interface TableLayout {
  /** Name of the DynamoDB table (a dedicated one or an existing single table). */
  tableName: string;
  /** The table's primary key. */
  keys?: {
    /**
     * Partition key attribute (type S).
     * @defaultValue `"pk"`
     */
    partition?: string;
    /** Sort key attribute (type S) if the table has one; it gets the same value as the partition key. */
    sort?: string;
    /**
     * Prefix of the key value before the session id.
     * @defaultValue `"session#"`
     */
    prefix?: string;
  };
  /** The global secondary index that finds a user's sessions (list, revokeAll). */
  userIndex?: {
    /**
     * Index name.
     * @defaultValue `"byUser"`
     */
    name?: string;
    /**
     * Partition key attribute of the index (type S), holding prefix + user id.
     * @defaultValue `"userId"`
     */
    partition?: string;
    /** Sort key attribute of the index, if it has one; it gets the session's key value. */
    sort?: string;
    /**
     * Prefix of the index key value before the user id.
     * @defaultValue `""`
     */
    prefix?: string;
  };
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
  sortKey: string | undefined;
  keyPrefix: string;
  indexName: string;
  userKey: string;
  userSortKey: string | undefined;
  userPrefix: string;
  ttlAttribute: string;
}

/** Attribute names the record itself uses; key and TTL names must not collide with them. */
export const RECORD_ATTRIBUTES = [
  "version",
  "secretHash",
  "previousSecretHash",
  "rotationNonce",
  "retiredSecretHashes",
  "data",
  "createdAt",
  "authenticatedAt",
  "freshUntil",
  "lastActiveAt",
  "rotatedAt",
  "expiresAt",
  "absoluteExpiresAt",
  "client",
] as const;

function name(value: unknown, fallback: string, what: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.length === 0 || value.length > 255) {
    throw new TesseraConfigError(`${what} must be a non-empty string of at most 255 characters`);
  }
  return value;
}

function optionalName(value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : name(value, "", what);
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
  const index = layout.userIndex ?? {};
  const resolved: ResolvedLayout = {
    tableName,
    partitionKey: name(keys.partition, "pk", "keys.partition"),
    sortKey: optionalName(keys.sort, "keys.sort"),
    keyPrefix: prefix(keys.prefix, "session#", "keys.prefix"),
    indexName: name(index.name, "byUser", "userIndex.name"),
    userKey: name(index.partition, "userId", "userIndex.partition"),
    userSortKey: optionalName(index.sort, "userIndex.sort"),
    userPrefix: prefix(index.prefix, "", "userIndex.prefix"),
    ttlAttribute: name(layout.ttlAttribute, "ttl", "ttlAttribute"),
  };
  const used = [
    resolved.partitionKey,
    resolved.sortKey,
    resolved.userKey,
    resolved.userSortKey,
    resolved.ttlAttribute,
  ].filter((attribute): attribute is string => attribute !== undefined);
  for (const attribute of used) {
    if ((RECORD_ATTRIBUTES as readonly string[]).includes(attribute)) {
      throw new TesseraConfigError(
        `attribute name "${attribute}" is used by the session record itself; pick another`,
      );
    }
  }
  if (new Set(used).size !== used.length) {
    throw new TesseraConfigError(
      "key, index and TTL attributes must all have different names: " + used.join(", "),
    );
  }
  return resolved;
}

/** A key element of a table or index schema. */
export interface KeyElement {
  AttributeName: string;
  KeyType: "HASH" | "RANGE";
}

/** The sessions table as a CloudFormation `AWS::DynamoDB::Table` resource. */
export interface CloudFormationTable {
  Type: "AWS::DynamoDB::Table";
  Properties: {
    TableName: string;
    BillingMode: "PAY_PER_REQUEST";
    AttributeDefinitions: { AttributeName: string; AttributeType: "S" }[];
    KeySchema: KeyElement[];
    GlobalSecondaryIndexes: {
      IndexName: string;
      KeySchema: KeyElement[];
      Projection: { ProjectionType: "KEYS_ONLY" };
    }[];
    TimeToLiveSpecification: { AttributeName: string; Enabled: true };
  };
}

/**
 * The sessions table with this layout as a CloudFormation resource, TTL included, for
 * templates, CDK `CfnTable` or SAM: string keys, the user index projecting keys only (updates
 * then never write to the index), on-demand billing. `JSON.stringify` it, or paste the YAML
 * from the README.
 *
 * @example
 * ```ts
 * const template = { Resources: { SessionsTable: cloudFormationTable({ tableName: "sessions" }) } };
 * writeFileSync("sessions-table.json", JSON.stringify(template, null, 2));
 * ```
 */
export function cloudFormationTable(layout: TableLayout): CloudFormationTable {
  const l = resolveLayout(layout);
  const attributes = [l.partitionKey, l.sortKey, l.userKey, l.userSortKey].filter(
    (attribute): attribute is string => attribute !== undefined,
  );
  const keySchema = (hash: string, range: string | undefined): KeyElement[] => [
    { AttributeName: hash, KeyType: "HASH" },
    ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
  ];
  return {
    Type: "AWS::DynamoDB::Table",
    Properties: {
      TableName: l.tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: attributes.map((attribute) => ({
        AttributeName: attribute,
        AttributeType: "S",
      })),
      KeySchema: keySchema(l.partitionKey, l.sortKey),
      GlobalSecondaryIndexes: [
        {
          IndexName: l.indexName,
          KeySchema: keySchema(l.userKey, l.userSortKey),
          Projection: { ProjectionType: "KEYS_ONLY" },
        },
      ],
      TimeToLiveSpecification: { AttributeName: l.ttlAttribute, Enabled: true },
    },
  };
}

/**
 * The `CreateTable` input for a sessions table with this layout: the same table as
 * `cloudFormationTable`, without TTL, which is not part of `CreateTable` (enable it on
 * `ttlAttribute` afterwards; `createTable` does).
 *
 * @example
 * ```ts
 * await client.send(new CreateTableCommand(tableDefinition({ tableName: "sessions" })));
 * ```
 */
export function tableDefinition(layout: TableLayout): CreateTableCommandInput {
  const { TimeToLiveSpecification: _ttl, ...table } = cloudFormationTable(layout).Properties;
  return table;
}
