/**
 * `@tessera/dynamodb/setup`: provisioning, kept out of the store's entry. The sessions table of a
 * layout as a `CreateTable` input (`tableDefinition`) and as a CloudFormation resource
 * (`cloudFormationTable`), for infrastructure code; and `createTable`, which makes it (or checks
 * an existing one) and enables TTL, for development, tests and scripts.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { StoreUnavailableError, TesseraConfigError, type TesseraError } from "@tessera/core";
import { storeFailure } from "@tessera/core/store";
import { type ResolvedLayout, resolveLayout, type TableLayout } from "./layout.js";

export type { TableLayout } from "./layout.js";

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
    TimeToLiveSpecification: { AttributeName: string; Enabled: true };
  };
}

/**
 * The sessions table with this layout as a CloudFormation resource, TTL included, for
 * templates, CDK `CfnTable` or SAM: a string partition key and sort key, no secondary index
 * (the user index lives in the table itself), on-demand billing. `JSON.stringify` it, or paste
 * the YAML from the README.
 */
export function cloudFormationTable(layout: TableLayout): CloudFormationTable {
  const l = resolveLayout(layout);
  return {
    Type: "AWS::DynamoDB::Table",
    Properties: {
      TableName: l.tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: l.partitionKey, AttributeType: "S" },
        { AttributeName: l.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: l.partitionKey, KeyType: "HASH" },
        { AttributeName: l.sortKey, KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: l.ttlAttribute, Enabled: true },
    },
  };
}

/**
 * The `CreateTable` input for a sessions table with this layout: the same table as
 * `cloudFormationTable`, without TTL, which is not part of `CreateTable` (enable it on
 * `ttlAttribute` afterwards; `createTable` does).
 */
export function tableDefinition(layout: TableLayout): CreateTableCommandInput {
  const { TimeToLiveSpecification: _ttl, ...table } = cloudFormationTable(layout).Properties;
  return table;
}

/** Options of `createTable`: the table layout plus what to do about TTL and waiting. */
export interface CreateTableOptions extends TableLayout {
  /**
   * Enable DynamoDB TTL on `ttlAttribute`.
   * @defaultValue `true`
   */
  ttl?: boolean;
  /**
   * Milliseconds to wait for the table to become `ACTIVE`.
   * @defaultValue `600000` (10 minutes)
   */
  timeout?: number;
  /**
   * Milliseconds between status polls while waiting.
   * @defaultValue `1000`
   */
  pollInterval?: number;
}

/** What `createTable` did. */
export interface CreateTableResult {
  /** `false` when a table with a matching layout already existed. */
  created: boolean;
  /**
   * `enabled` now, `already-enabled` before, `off` when asked not to, or `unsupported` when the
   * endpoint does not implement `UpdateTimeToLive` (some local emulators); expiry is still
   * enforced on every read, items are just never deleted natively.
   */
  ttl: "enabled" | "already-enabled" | "off" | "unsupported";
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown error";
}

function failure(operation: string, tableName: string, error: unknown): TesseraError {
  return storeFailure(`DynamoDB (table "${tableName}")`, operation, error);
}

async function describe(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | null> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table ?? null;
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return null;
    throw failure("DescribeTable", tableName, error);
  }
}

/** Throws `TesseraConfigError` naming the first way an existing table differs from the layout. */
function checkLayout(table: TableDescription, l: ResolvedLayout): void {
  const keySchema = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(",");
  const types = new Map(
    (table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]),
  );
  const expectedKeys = `${l.partitionKey}:HASH,${l.sortKey}:RANGE`;
  if (keySchema(table.KeySchema) !== expectedKeys) {
    throw new TesseraConfigError(
      `table "${l.tableName}" has key schema [${keySchema(table.KeySchema)}], the layout expects [${expectedKeys}]` +
        (table.KeySchema?.length === 1
          ? " (a table without a sort key cannot hold the user index: create a new table, see the README's migration notes)"
          : ""),
    );
  }
  for (const attribute of [l.partitionKey, l.sortKey]) {
    if (types.get(attribute) !== "S") {
      throw new TesseraConfigError(`key attribute "${attribute}" must be of type S (string)`);
    }
  }
}

/**
 * Creates the sessions table described by `tableDefinition(options)` if it does not exist, waits
 * until it is `ACTIVE`, and enables TTL. On an existing table it checks the key schema instead,
 * and throws `TesseraConfigError` if it does not match (a table without the sort key cannot hold
 * the user index).
 *
 * @example
 * ```ts
 * const { created, ttl } = await createTable(client, { tableName: "sessions" });
 * // created: false when it already existed (and matched); ttl: "enabled" | "unsupported" | ...
 * ```
 * @throws TesseraConfigError (rejects) when an existing table's key schema or TTL attribute does
 * not match the layout; StoreUnavailableError when DynamoDB cannot be reached or the table does
 * not become `ACTIVE` within `timeout`.
 */
export async function createTable(
  client: DynamoDBClient,
  options: CreateTableOptions,
): Promise<CreateTableResult> {
  if (!client || typeof client.send !== "function") {
    throw new TesseraConfigError("createTable needs a DynamoDBClient");
  }
  const l = resolveLayout(options);
  const timeout = options.timeout ?? 600_000;
  const pollInterval = options.pollInterval ?? 1000;
  for (const [value, what] of [
    [timeout, "timeout"],
    [pollInterval, "pollInterval"],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new TesseraConfigError(`${what} must be a non-negative number of milliseconds`);
    }
  }

  let created = false;
  let table = await describe(client, l.tableName);
  if (table) {
    checkLayout(table, l);
  } else {
    try {
      const result = await client.send(new CreateTableCommand(tableDefinition(options)));
      table = result.TableDescription ?? null;
      created = true;
    } catch (error) {
      // Someone else created it in between: check theirs like any existing table.
      if (errorName(error) !== "ResourceInUseException") {
        throw failure("CreateTable", l.tableName, error);
      }
      table = await describe(client, l.tableName);
      if (table) checkLayout(table, l);
    }
  }

  const deadline = Date.now() + timeout;
  while (table?.TableStatus !== "ACTIVE") {
    if (Date.now() >= deadline) {
      throw new StoreUnavailableError(`table "${l.tableName}" was not ACTIVE within ${timeout} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollInterval));
    table = await describe(client, l.tableName);
  }

  if (options.ttl === false) return { created, ttl: "off" };
  let current: { TimeToLiveStatus?: string; AttributeName?: string } | undefined;
  try {
    const result = await client.send(new DescribeTimeToLiveCommand({ TableName: l.tableName }));
    current = result.TimeToLiveDescription;
  } catch (error) {
    throw failure("DescribeTimeToLive", l.tableName, error);
  }
  if (current?.TimeToLiveStatus === "ENABLED" || current?.TimeToLiveStatus === "ENABLING") {
    if (current.AttributeName !== l.ttlAttribute) {
      throw new TesseraConfigError(
        `table "${l.tableName}" already has TTL on "${current.AttributeName}"; set ttlAttribute to it`,
      );
    }
    return { created, ttl: "already-enabled" };
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: l.tableName,
        TimeToLiveSpecification: { AttributeName: l.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (errorName(error) === "UnknownOperationException") return { created, ttl: "unsupported" };
    throw failure("UpdateTimeToLive", l.tableName, error);
  }
  return { created, ttl: "enabled" };
}
