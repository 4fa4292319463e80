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
import {
  cloudFormationTable,
  createTable,
  DynamoDBStore,
  type TableLayout,
  tableDefinition,
} from "../src/index.js";
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
  it("describes string keys, a keys-only user index and on-demand billing", () => {
    expect(tableDefinition({ tableName: "sessions" })).toEqual({
      TableName: "sessions",
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
    });
  });

  it("uses custom attribute names, sort keys and index names", () => {
    const definition = tableDefinition({
      tableName: "app",
      keys: { partition: "PK", sort: "SK" },
      userIndex: { name: "GSI1", partition: "GSI1PK", sort: "GSI1SK" },
    });
    expect(definition.KeySchema).toEqual([
      { AttributeName: "PK", KeyType: "HASH" },
      { AttributeName: "SK", KeyType: "RANGE" },
    ]);
    expect(definition.GlobalSecondaryIndexes?.[0]?.KeySchema).toEqual([
      { AttributeName: "GSI1PK", KeyType: "HASH" },
      { AttributeName: "GSI1SK", KeyType: "RANGE" },
    ]);
    expect(definition.AttributeDefinitions?.map((a) => a.AttributeName)).toEqual([
      "PK",
      "SK",
      "GSI1PK",
      "GSI1SK",
    ]);
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
      ...Properties.GlobalSecondaryIndexes.flatMap((i) => i.KeySchema.map((k) => k.AttributeName)),
      Properties.TimeToLiveSpecification.AttributeName,
    ];
    expect(values("AttributeName")).toEqual(attributeNames);
    expect(values("IndexName")).toEqual(["byUser"]);
    expect(values("ProjectionType")).toEqual(["KEYS_ONLY"]);
    expect(values("BillingMode")).toEqual(["PAY_PER_REQUEST"]);
    expect(values("Type")).toEqual(["AWS::DynamoDB::Table"]);
  });
});

describe("createTable", () => {
  it("creates the table with its user index and enables TTL on the TTL attribute", async () => {
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
    expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: "byUser",
      Projection: { ProjectionType: "KEYS_ONLY" },
    });
  });

  it("accepts an existing table with the same layout and creates nothing", async () => {
    const layout: TableLayout = {
      tableName: uniqueTableName("existing"),
      keys: { partition: "PK", sort: "SK", prefix: "SESSION#" },
      userIndex: { name: "GSI1", partition: "GSI1PK", sort: "GSI1SK", prefix: "USER#" },
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
      /key schema \[id:HASH\].*\[pk:HASH\]/,
    );
  });

  it("refuses an existing table without the user index, naming it", async () => {
    const tableName = uniqueTableName("no-index");
    const { GlobalSecondaryIndexes: _, ...withoutIndex } = tableDefinition({ tableName });
    await client.send(
      new CreateTableCommand({
        ...withoutIndex,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      }),
    );
    const error = await createTable(client, { tableName, ttl: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraConfigError);
    expect((error as Error).message).toContain('"byUser"');
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
      // Usable at once: the user index answers right after createTable returns.
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
