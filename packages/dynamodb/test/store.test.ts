/**
 * What is specific to DynamoDB: the item layout, TTL next to the read-side expiry check,
 * conditional writes, the user index with pagination and unprocessed keys, shared tables,
 * capacity per item. The general contract is in conformance.test.ts.
 */
import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  createSessions,
  SessionConflictError,
  StoreUnavailableError,
  TesseraConfigError,
} from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBStore } from "../src/index.js";
import { createTable, type TableLayout, tableDefinition } from "../src/setup.js";
import { DynamoProxy, makeClient, uniqueTableName } from "./helpers.js";

const client = makeClient();
const layout: TableLayout = { tableName: uniqueTableName("store") };
let proxy: DynamoProxy;

beforeAll(async () => {
  await createTable(client, { ...layout, ttl: false, pollInterval: 10 });
  proxy = await DynamoProxy.start();
});
afterAll(async () => {
  client.destroy();
  await proxy.stop();
});

async function rawItem(id: string, tableName = layout.tableName, sort = `session#${id}`) {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: sort.startsWith("session#") ? `session#${id}` : sort }, sk: { S: sort } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** The index item of session `id` under user `userId`'s partition. */
async function rawIndexItem(userId: string, id: string) {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: layout.tableName,
      Key: { pk: { S: `user#${userId}` }, sk: { S: `session#${id}` } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

describe("item layout", () => {
  it("stores a session item (prefixed key in both key attributes, TTL in epoch seconds) and an index item under the user", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const record = makeRecord({ expiresAt: Date.now() + 60_000 + 1 });
    await store.create(record);
    const item = await rawItem(record.id);
    expect(item?.pk).toEqual({ S: `session#${record.id}` });
    expect(item?.sk).toEqual({ S: `session#${record.id}` });
    expect(item?.userId).toEqual({ S: `user#${record.userId}` });
    expect(item?.ttl).toEqual({ N: String(Math.ceil(record.expiresAt / 1000)) });
    expect(item?.version).toEqual({ N: "1" });
    expect(item?.expiresAt).toEqual({ N: String(record.expiresAt) });
    // The index item holds keys and a TTL at the absolute expiry, nothing of the session.
    expect(await rawIndexItem(record.userId, record.id)).toEqual({
      pk: { S: `user#${record.userId}` },
      sk: { S: `session#${record.id}` },
      ttl: { N: String(Math.ceil(record.absoluteExpiresAt / 1000)) },
    });
    await store.delete(record.id);
    expect(await rawItem(record.id)).toBeUndefined();
    expect(await rawIndexItem(record.userId, record.id)).toBeUndefined();
  });

  it("never writes the index item again on an update", async () => {
    const proxied = makeClient(proxy.url);
    const store = new DynamoDBStore({ client: proxied, ...layout });
    const record = makeRecord();
    await store.create(record);
    const puts = proxy.calls.PutItem ?? 0;
    expect(
      await store.update({ ...record, version: 2, expiresAt: record.expiresAt + 1000 }, 1),
    ).toBe(true);
    expect((proxy.calls.PutItem ?? 0) - puts).toBe(1);
    proxied.destroy();
  });

  it("moves the TTL attribute when an update moves the idle expiry", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const record = makeRecord();
    await store.create(record);
    const extended = { ...record, version: 2, expiresAt: record.expiresAt + 3_600_000 };
    expect(await store.update(extended, 1)).toBe(true);
    expect((await rawItem(record.id))?.ttl).toEqual({
      N: String(Math.ceil(extended.expiresAt / 1000)),
    });
  });

  it("keeps a realistic session within one write unit and one strongly consistent read unit", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const clock = { now: Date.now() };
    const sessions = createSessions({
      store,
      rotation: { interval: 60, grace: 30 },
      now: () => clock.now,
    });
    const device = {
      ip: "2001:db8:85a3::8a2e:370:7334",
      userAgent:
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      deviceId: "device-7f3c9a1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b",
    };
    const { session, token } = await sessions.create({
      userId: "user-0f8fad5b-d9cb-469f-a165-70867728950e",
      data: { role: "member", tenant: "acme-corp", locale: "en-GB" },
      client: device,
    });
    // Rotations fill the previous hash and the ring of retired hashes; the last one stays
    // unconfirmed, so its nonce is stored too: the largest shape a record takes.
    let current = token;
    for (let round = 0; round < 5; round++) {
      clock.now += 61_000;
      const rotated = await sessions.validate(current, device);
      if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
      current = rotated.token;
      if (round < 4) expect((await sessions.validate(current, device)).ok).toBe(true);
    }
    const stored = await store.get(session.id);
    expect(stored?.retiredSecretHashes.length).toBeGreaterThan(0);
    expect(stored?.previousSecretHash).not.toBeNull();
    expect(stored?.rotationNonce).not.toBeNull();
    const read = await client.send(
      new GetItemCommand({
        TableName: layout.tableName,
        Key: { pk: { S: `session#${session.id}` }, sk: { S: `session#${session.id}` } },
        ConsistentRead: true,
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(read.ConsumedCapacity?.CapacityUnits).toBe(1);
    const write = await client.send(
      new PutItemCommand({
        TableName: layout.tableName,
        Item: read.Item,
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(write.ConsumedCapacity?.CapacityUnits).toBe(1);
  });
});

describe("expiry", () => {
  it("hides an item past expiresAt that DynamoDB's TTL has not deleted yet", async () => {
    const clock = { now: Date.now() };
    const store = new DynamoDBStore({ client, ...layout, now: () => clock.now });
    const record = makeRecord({ expiresAt: clock.now + 60_000 });
    const other = makeRecord({ userId: record.userId });
    await store.create(record);
    await store.create(other);
    clock.now += 60_000;
    expect(await rawItem(record.id)).toBeDefined();
    expect(await store.get(record.id)).toBeNull();
    expect((await store.listByUser(record.userId)).map((r) => r.id)).toEqual([other.id]);
    expect(await store.update({ ...record, version: 2, expiresAt: clock.now + 60_000 }, 1)).toBe(
      false,
    );
    // revokeAll removes the leftover item and its index item but counts only the live session.
    expect(await store.deleteByUser(record.userId)).toBe(1);
    expect(await rawItem(record.id)).toBeUndefined();
    expect(await rawIndexItem(record.userId, record.id)).toBeUndefined();
  });

  it("lets a new session take the id of an expired item still in the table", async () => {
    const clock = { now: Date.now() };
    const store = new DynamoDBStore({ client, ...layout, now: () => clock.now });
    const old = makeRecord({ expiresAt: clock.now + 1000 });
    await store.create(old);
    clock.now += 1000;
    const reused = makeRecord({ id: old.id });
    await store.create(reused);
    expect((await store.get(old.id))?.userId).toBe(reused.userId);
    expect(await store.listByUser(old.userId)).toEqual([]);
    expect((await store.listByUser(reused.userId)).map((r) => r.id)).toEqual([old.id]);
  });
});

describe("conditional writes", () => {
  it("refuses a second live session with the same id with SessionConflictError", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const record = makeRecord();
    await store.create(record);
    await expect(store.create(makeRecord({ id: record.id }))).rejects.toBeInstanceOf(
      SessionConflictError,
    );
  });

  it("answers false, not an error, to an update that would hand the session to another user", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const record = makeRecord();
    await store.create(record);
    expect(await store.update({ ...record, version: 2, userId: "mallory" }, 1)).toBe(false);
    expect((await store.get(record.id))?.userId).toBe(record.userId);
  });

  it("counts each session once when two revokeAll calls race", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const userId = `racer-${Date.now()}`;
    const records = Array.from({ length: 12 }, () => makeRecord({ userId }));
    await Promise.all(records.map((record) => store.create(record)));
    const [a, b] = await Promise.all([store.deleteByUser(userId), store.deleteByUser(userId)]);
    expect((a ?? 0) + (b ?? 0)).toBe(12);
    expect(await store.listByUser(userId)).toEqual([]);
  });
});

describe("user index", () => {
  it("ends a session created a moment before revokeAll, where a lagging secondary index would not", async () => {
    const proxied = makeClient(proxy.url);
    const store = new DynamoDBStore({ client: proxied, ...layout });
    const sessions = createSessions({ store });
    proxy.mode = "lagging-index";
    try {
      const userId = `password-changed-${Date.now()}`;
      const older = await sessions.create({ userId });
      const justBefore = await sessions.create({ userId }); // e.g. the attacker's fresh login
      expect(await sessions.revokeAll(userId)).toBe(2);
      for (const { token } of [older, justBefore]) {
        expect(await sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
      }
      const listed = await sessions.create({ userId });
      expect((await sessions.list(userId)).map((s) => s.id)).toEqual([listed.session.id]);
    } finally {
      proxy.mode = "pass";
      proxied.destroy();
    }
  });

  it("reads the user index only with strongly consistent base-table queries", async () => {
    const proxied = makeClient(proxy.url);
    const store = new DynamoDBStore({ client: proxied, ...layout });
    const userId = `consistent-${Date.now()}`;
    await store.create(makeRecord({ userId }));
    const before = proxy.queries.length;
    await store.listByUser(userId);
    await store.deleteByUser(userId);
    const queries = proxy.queries.slice(before);
    expect(queries.length).toBeGreaterThanOrEqual(2);
    for (const query of queries) {
      expect(query.IndexName).toBeUndefined();
      expect(query.ConsistentRead).toBe(true);
    }
    proxied.destroy();
  });

  it("follows LastEvaluatedKey through every page of a user's sessions", async () => {
    const proxied = makeClient(proxy.url);
    const store = new DynamoDBStore({ client: proxied, ...layout, pageSize: 4 });
    const userId = `paged-${Date.now()}`;
    const records = Array.from({ length: 23 }, () => makeRecord({ userId }));
    await Promise.all(records.map((record) => store.create(record)));
    const before = proxy.calls.Query ?? 0;
    expect(await store.listByUser(userId)).toHaveLength(23);
    expect((proxy.calls.Query ?? 0) - before).toBeGreaterThanOrEqual(6);
    expect(await store.deleteByUser(userId, records[0]?.id)).toBe(22);
    expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([records[0]?.id]);
    proxied.destroy();
  });

  it("retries the keys a BatchGetItem leaves unprocessed until every session is read", async () => {
    const proxied = makeClient(proxy.url);
    const store = new DynamoDBStore({ client: proxied, ...layout });
    const userId = `unprocessed-${Date.now()}`;
    const records = Array.from({ length: 20 }, () => makeRecord({ userId }));
    await Promise.all(records.map((record) => store.create(record)));
    const before = proxy.calls.BatchGetItem ?? 0;
    proxy.mode = "half-batches";
    try {
      const listed = await store.listByUser(userId);
      expect(listed.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    } finally {
      proxy.mode = "pass";
    }
    expect((proxy.calls.BatchGetItem ?? 0) - before).toBeGreaterThan(1);
    proxied.destroy();
  });

  it("reads and deletes only sessions in a user partition shared with other entities", async () => {
    const shared: TableLayout = {
      tableName: uniqueTableName("shared"),
      keys: { partition: "PK", sort: "SK", prefix: "SESSION#" },
      userIndex: { prefix: "USER#" },
      userAttribute: "owner",
      ttlAttribute: "expiresAtEpoch",
    };
    await client.send(new CreateTableCommand(tableDefinition(shared)));
    // dynalite creates tables asynchronously; a write before ACTIVE is ResourceNotFound.
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: shared.tableName });
    const store = new DynamoDBStore({ client, ...shared });
    const userId = "alice";
    const profile = { PK: { S: "USER#alice" }, SK: { S: "PROFILE" }, name: { S: "Alice" } };
    const order = { PK: { S: "USER#alice" }, SK: { S: "ORDER#1" }, total: { N: "42" } };
    for (const Item of [order, profile]) {
      await client.send(new PutItemCommand({ TableName: shared.tableName, Item }));
    }
    const sessions = [makeRecord({ userId }), makeRecord({ userId })];
    for (const record of sessions) await store.create(record);
    expect((await store.listByUser(userId)).map((r) => r.id).sort()).toEqual(
      sessions.map((r) => r.id).sort(),
    );
    expect(await store.deleteByUser(userId)).toBe(2);
    const left = await client.send(
      new QueryCommand({
        TableName: shared.tableName,
        KeyConditionExpression: "PK = :user",
        ExpressionAttributeValues: { ":user": { S: "USER#alice" } },
        ConsistentRead: true,
      }),
    );
    expect(left.Items?.map((item) => item.SK?.S).sort()).toEqual(["ORDER#1", "PROFILE"]);
  });
});

describe("failures", () => {
  it("refuses to read an item under a session key that is not a session", async () => {
    const store = new DynamoDBStore({ client, ...layout });
    const id = makeRecord().id;
    await client.send(
      new PutItemCommand({
        TableName: layout.tableName,
        Item: {
          pk: { S: `session#${id}` },
          sk: { S: `session#${id}` },
          userId: { S: "user#x" },
          note: { S: "hand-written" },
        },
      }),
    );
    await expect(store.get(id)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("reports a missing table as StoreUnavailableError pointing at createTable", async () => {
    const store = new DynamoDBStore({ client, tableName: uniqueTableName("missing") });
    const error = await store.get(makeRecord().id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("createTable");
    expect(((error as Error).cause as Error).name).toBe("ResourceNotFoundException");
  });
});

describe("options", () => {
  const bad: [string, unknown][] = [
    ["no client", { tableName: "sessions" }],
    ["no table name", { client }],
    ["a table name DynamoDB refuses", { client, tableName: "a b" }],
    ["a key named like a record field", { client, tableName: "sessions", ttlAttribute: "version" }],
    [
      "two roles for one attribute",
      { client, tableName: "sessions", keys: { partition: "id" }, userAttribute: "id" },
    ],
    [
      "the global secondary index of the old layout",
      { client, tableName: "sessions", userIndex: { name: "byUser" } },
    ],
    [
      "a user prefix a session key could start with",
      { client, tableName: "sessions", keys: { prefix: "s" }, userIndex: { prefix: "session#" } },
    ],
    ["an empty user prefix", { client, tableName: "sessions", userIndex: { prefix: "" } }],
    ["an empty attribute name", { client, tableName: "sessions", keys: { partition: "" } }],
    ["a page size of zero", { client, tableName: "sessions", pageSize: 0 }],
    ["a fractional concurrency", { client, tableName: "sessions", concurrency: 1.5 }],
  ];
  for (const [what, options] of bad) {
    it(`throws TesseraConfigError for ${what}`, () => {
      expect(() => new DynamoDBStore(options as never)).toThrow(TesseraConfigError);
    });
  }
});
