import { CreateTableCommand, GetItemCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { runStoreConformance } from "@tessera/store-test";
import { afterAll, beforeAll } from "vitest";
import { DynamoDBStore } from "../src/index.js";
import { createTable, type TableLayout, tableDefinition } from "../src/setup.js";
import { makeClient, uniqueTableName } from "./helpers.js";

const client = makeClient();
afterAll(() => client.destroy());

/** The raw item under a key, read past the store (null when there is none). */
const rawReader =
  (key: (id: string) => Record<string, { S: string }>, tableName: string) => async (id: string) => {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }),
    );
    return Item ?? null;
  };

// A dedicated table with every default: pk = sk = "session#<id>", index items under
// pk = "user#<userId>", TTL "ttl".
const dedicated: TableLayout = { tableName: uniqueTableName("conformance") };
beforeAll(async () => {
  await createTable(client, { ...dedicated, pollInterval: 10 });
});
runStoreConformance(
  "DynamoDBStore (dedicated table)",
  () => new DynamoDBStore({ client, ...dedicated }),
  {
    rawRead: rawReader(
      (id) => ({ pk: { S: `session#${id}` }, sk: { S: `session#${id}` } }),
      dedicated.tableName,
    ),
  },
);

// An existing single table shared with other entities: generic key names, user partitions.
const shared: TableLayout = {
  tableName: uniqueTableName("single-table"),
  keys: { partition: "PK", sort: "SK", prefix: "SESSION#" },
  userIndex: { prefix: "USER#" },
  userAttribute: "GSI1PK",
  ttlAttribute: "expiresAtEpoch",
};
beforeAll(async () => {
  const definition = tableDefinition(shared);
  await client.send(new CreateTableCommand(definition));
  // dynalite creates tables asynchronously; a write before ACTIVE is ResourceNotFound.
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: definition.TableName });
});
runStoreConformance(
  "DynamoDBStore (shared single table)",
  () => new DynamoDBStore({ client, ...shared }),
  {
    rawRead: rawReader(
      (id) => ({ PK: { S: `SESSION#${id}` }, SK: { S: `SESSION#${id}` } }),
      shared.tableName,
    ),
  },
);
