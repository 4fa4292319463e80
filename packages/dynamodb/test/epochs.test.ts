/**
 * What is specific to DynamoDB in round 3: guest items, the policy attributes of old items, and
 * where the revocation epochs live (sharded global epoch, one item per revoked user) and what
 * reading them costs. Its own table: the global epoch raised here must not end other files'
 * sessions. The general contract is in conformance.test.ts.
 */
import { GetItemCommand, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { InvalidArgumentError, TesseraConfigError } from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBStore } from "../src/index.js";
import { createTable, type TableLayout } from "../src/setup.js";
import { DynamoProxy, makeClient, uniqueTableName } from "./helpers.js";

const client = makeClient();
const layout: TableLayout = { tableName: uniqueTableName("epochs") };
let proxy: DynamoProxy;

beforeAll(async () => {
  await createTable(client, { ...layout, ttl: false, pollInterval: 10 });
  proxy = await DynamoProxy.start();
});
afterAll(async () => {
  client.destroy();
  await proxy.stop();
});

async function rawItem(key: string) {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: layout.tableName,
      Key: { pk: { S: key }, sk: { S: key } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** Every item in a partition, read past the store. */
async function partition(key: string) {
  const { Items } = await client.send(
    new QueryCommand({
      TableName: layout.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: key } },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

describe("guests and policy attributes", () => {
  it("keeps a guest session with no user attribute and no index item", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const guest = makeRecord({ userId: null, policy: "guest" });
    await store.create(guest);
    const item = await rawItem(`session#${guest.id}`);
    expect(item?.userId).toBeUndefined();
    expect(item?.policy).toEqual({ S: "guest" });
    expect(item?.impersonatedBy).toBeUndefined();
    expect(await store.get(guest.id)).toEqual(guest);
    expect(await store.update({ ...guest, version: 2 }, 1)).toBe(true);
    // A guest record is never handed to a user in place (login makes a new session).
    expect(await store.update({ ...guest, userId: "someone", version: 3 }, 2)).toBe(false);
    await store.delete(guest.id);
    expect(await store.get(guest.id)).toBeNull();
  });

  it("reads an item written before policies existed as the default policy, not impersonated", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const record = makeRecord({ policy: "remembered", impersonatedBy: "admin-1" });
    await store.create(record);
    expect((await rawItem(`session#${record.id}`))?.impersonatedBy).toEqual({ S: "admin-1" });
    await client.send(
      new UpdateItemCommand({
        TableName: layout.tableName,
        Key: { pk: { S: `session#${record.id}` }, sk: { S: `session#${record.id}` } },
        UpdateExpression: "REMOVE policy, impersonatedBy",
      }),
    );
    expect(await store.get(record.id)).toEqual({
      ...record,
      policy: "default",
      impersonatedBy: null,
    });
  });
});

describe("revocation epochs", () => {
  it("reads a session and the global epoch with one strongly consistent BatchGetItem and nothing else", async () => {
    const proxied = makeClient(proxy.url);
    const store = new DynamoDBStore({ client: proxied, ...layout });
    const record = makeRecord();
    await store.create(record);
    const before = { ...proxy.calls };
    const found = await store.getWithEpochs(record.id);
    expect(found?.record).toEqual(record);
    const sent = Object.entries(proxy.calls)
      .map(([operation, count]) => [operation, count - (before[operation] ?? 0)] as const)
      .filter(([, count]) => count > 0);
    expect(sent).toEqual([["BatchGetItem", 1]]);
    proxied.destroy();
  });

  it("keeps the global epoch on every shard, without expiry, and a user's epoch in its own item with a 400-day TTL", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const at = Date.now() - 60_000;
    await store.raiseEpoch(null, at);
    for (let shard = 0; shard < 8; shard++) {
      expect(await rawItem(`session#!epoch!${shard}`)).toEqual({
        pk: { S: `session#!epoch!${shard}` },
        sk: { S: `session#!epoch!${shard}` },
        revokedBefore: { N: String(at) },
      });
    }
    const userId = `revoked-${Date.now()}`;
    const session = makeRecord({ userId });
    await store.create(session);
    const userAt = Date.now();
    await store.raiseEpoch(userId, userAt);
    expect(await rawItem(`session#!user-epoch!${userId}`)).toEqual({
      pk: { S: `session#!user-epoch!${userId}` },
      sk: { S: `session#!user-epoch!${userId}` },
      revokedBefore: { N: String(userAt) },
      ttl: { N: String(Math.ceil((userAt + 400 * 86_400_000) / 1000)) },
    });
    // The epoch is not in the user's partition: listing and revoking see sessions only, and
    // deleting them leaves the epoch.
    expect((await partition(`user#${userId}`)).map((item) => item.sk?.S)).toEqual([
      `session#${session.id}`,
    ]);
    expect(await store.deleteByUser(userId)).toBe(1);
    expect(await store.readEpochs(userId)).toEqual({ global: at, user: userAt });
  });

  it("answers user 0 from the hot read, whose keys are known before the session is read", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const userId = `hot-${Date.now()}`;
    const record = makeRecord({ userId });
    await store.create(record);
    await store.raiseEpoch(userId, Date.now());
    expect((await store.getWithEpochs(record.id))?.epochs.user).toBe(0);
  });

  it("refuses an epoch that is not integer epoch milliseconds, sending nothing", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    await expect(store.raiseEpoch(null, Number.NaN)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.raiseEpoch("u", -1)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("refuses a layout whose key or TTL attribute is the epoch attribute", () => {
    expect(() => new DynamoDBStore({ client, ...layout, ttlAttribute: "revokedBefore" })).toThrow(
      TesseraConfigError,
    );
  });
});
