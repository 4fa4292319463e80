import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { TesseraConfigError } from "@tessera/core";
import dynalite from "dynalite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBStore } from "../src/index.js";
import {
  cloudFormationTable,
  createTable,
  type TableLayout,
  tableDefinition,
} from "../src/setup.js";
import { DynamoProxy, makeClient, uniqueTableName } from "./helpers.js";

const client = makeClient();
let proxy: DynamoProxy;
let proxied: DynamoDBClient;

beforeAll(async () => {
  proxy = await DynamoProxy.start();
  proxied = makeClient(proxy.url);
});
afterAll(async () => {
  client.destroy();
  proxied.destroy();
  await proxy.stop();
});

describe("tableDefinition", () => {
  it("describes a string partition key and sort key, no secondary index, on-demand billing", () => {
    expect(tableDefinition({ tableName: "sessions" })).toEqual({
      TableName: "sessions",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
  });

  it("uses custom key attribute names", () => {
    const definition = tableDefinition({
      tableName: "app",
      keys: { partition: "PK", sort: "SK" },
    });
    expect(definition.KeySchema).toEqual([
      { AttributeName: "PK", KeyType: "HASH" },
      { AttributeName: "SK", KeyType: "RANGE" },
    ]);
    expect(definition.AttributeDefinitions?.map((a) => a.AttributeName)).toEqual(["PK", "SK"]);
  });

  it("matches the CloudFormation snippet in the README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const values = (key: string) =>
      [...yaml.matchAll(new RegExp(`\\b${key}: (\\S+)`, "g"))].map((match) => match[1]);
    const { Properties } = cloudFormationTable({ tableName: "sessions" });
    const attributeNames = [
      ...Properties.AttributeDefinitions.map((a) => a.AttributeName),
      ...Properties.KeySchema.map((k) => k.AttributeName),
      Properties.TimeToLiveSpecification.AttributeName,
    ];
    expect(values("AttributeName")).toEqual(attributeNames);
    expect(values("KeyType")).toEqual(["HASH", "RANGE"]);
    expect(values("IndexName")).toEqual([]);
    expect(values("BillingMode")).toEqual(["PAY_PER_REQUEST"]);
    expect(values("Type")).toEqual(["AWS::DynamoDB::Table"]);
  });
});

describe("createTable", () => {
  it("creates the table and enables TTL on the TTL attribute", async () => {
    const tableName = uniqueTableName("create");
    expect(await createTable(proxied, { tableName, pollInterval: 10 })).toEqual({
      created: true,
      ttl: "enabled",
    });
    expect(proxy.ttlRequests).toContainEqual({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
    });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(Table?.GlobalSecondaryIndexes).toBeUndefined();
  });

  it("accepts an existing table with the same layout and creates nothing", async () => {
    const layout: TableLayout = {
      tableName: uniqueTableName("existing"),
      keys: { partition: "PK", sort: "SK", prefix: "SESSION#" },
      userIndex: { prefix: "USER#" },
      ttlAttribute: "expiresAtEpoch",
    };
    await client.send(new CreateTableCommand(tableDefinition(layout)));
    expect(await createTable(proxied, { ...layout, pollInterval: 10 })).toEqual({
      created: false,
      ttl: "enabled",
    });
    expect(proxy.ttlRequests).toContainEqual({
      TableName: layout.tableName,
      TimeToLiveSpecification: { AttributeName: "expiresAtEpoch", Enabled: true },
    });
  });

  it("refuses an existing table whose keys do not match the layout", async () => {
    const tableName = uniqueTableName("mismatch");
    await client.send(
      new CreateTableCommand(tableDefinition({ tableName, keys: { partition: "id" } })),
    );
    await expect(createTable(client, { tableName, ttl: false })).rejects.toThrow(
      /key schema \[id:HASH,sk:RANGE\].*\[pk:HASH,sk:RANGE\]/,
    );
  });

  it("refuses a table of the old layout (no sort key, a user GSI), pointing at the migration notes", async () => {
    const tableName = uniqueTableName("old-layout");
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "userId", AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: "byUser",
            KeySchema: [{ AttributeName: "userId", KeyType: "HASH" }],
            Projection: { ProjectionType: "KEYS_ONLY" },
          },
        ],
      }),
    );
    const error = await createTable(client, { tableName, ttl: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraConfigError);
    expect((error as Error).message).toContain("migration notes");
  });

  it("reports TTL as unsupported by an endpoint without UpdateTimeToLive, and off when declined", async () => {
    const tableName = uniqueTableName("ttl");
    // dynalite itself does not implement UpdateTimeToLive.
    expect(await createTable(client, { tableName, pollInterval: 10 })).toEqual({
      created: true,
      ttl: "unsupported",
    });
    expect(await createTable(client, { tableName, ttl: false })).toEqual({
      created: false,
      ttl: "off",
    });
  });

  it("waits until a table that takes time to create is ACTIVE", async () => {
    const slow = dynalite({ createTableMs: 300 });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", () => resolve()));
    const slowClient = makeClient(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`);
    try {
      const tableName = uniqueTableName("slow");
      await createTable(slowClient, { tableName, ttl: false, pollInterval: 50 });
      const { Table } = await slowClient.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe("ACTIVE");
      // Usable at once: the user index (in the table itself) answers right after createTable.
      const store = new DynamoDBStore({ client: slowClient, tableName });
      expect(await store.listByUser("nobody")).toEqual([]);
    } finally {
      slowClient.destroy();
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it("throws TesseraConfigError for an unusable layout before sending anything", async () => {
    await expect(createTable(client, { tableName: "x" })).rejects.toBeInstanceOf(
      TesseraConfigError,
    );
  });
});
