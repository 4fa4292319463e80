/**
 * DynamoDB gone or throttled: after the SDK's own retries, every operation fails with
 * `StoreUnavailableError` (never "no session", never a lost race), and the same store and
 * client work again once DynamoDB is back. The SDK talks to a real loopback proxy in front of
 * dynalite that can close its port or answer with DynamoDB's throttling error.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createSessions, StoreUnavailableError } from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBStore } from "../src/index.js";
import { createTable } from "../src/setup.js";
import { DynamoProxy, makeClient, uniqueTableName } from "./helpers.js";

const tableName = uniqueTableName("faults");
const MAX_ATTEMPTS = 2;
let proxy: DynamoProxy;
let client: DynamoDBClient;
let store: DynamoDBStore;

beforeAll(async () => {
  const direct = makeClient();
  await createTable(direct, { tableName, ttl: false, pollInterval: 10 });
  direct.destroy();
  proxy = await DynamoProxy.start();
  client = makeClient(proxy.url, { maxAttempts: MAX_ATTEMPTS });
  store = new DynamoDBStore({ client, tableName });
});
afterEach(() => {
  proxy.mode = "pass";
});
afterAll(async () => {
  client.destroy();
  await proxy.stop();
});

async function failure(promise: Promise<unknown>): Promise<StoreUnavailableError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  return error as StoreUnavailableError;
}

describe("endpoint down (closed port)", () => {
  it("fails validate, revokeAll and list with StoreUnavailableError, then recovers", async () => {
    const sessions = createSessions({ store });
    const { session, token } = await sessions.create({ userId: `down-${Date.now()}` });
    await proxy.down();
    try {
      await failure(sessions.validate(token));
      await failure(sessions.revokeAll(session.userId));
      await failure(sessions.list(session.userId));
      await failure(sessions.create({ userId: session.userId }));
      const direct = await failure(store.get(session.id));
      expect(direct.message).toContain("GetItem");
      expect(direct.cause).toBeDefined();
    } finally {
      await proxy.up();
    }
    expect(await sessions.validate(token)).toMatchObject({ ok: true });
    expect(await sessions.list(session.userId)).toHaveLength(1);
  });
});

describe("throttled (ProvisionedThroughputExceededException)", () => {
  it("fails validate with StoreUnavailableError after the SDK's retries, then recovers", async () => {
    const sessions = createSessions({ store });
    const { token } = await sessions.create({ userId: `throttled-${Date.now()}` });
    // Validate reads the session with its global epoch in one BatchGetItem.
    const before = proxy.calls.BatchGetItem ?? 0;
    proxy.mode = "throttle";
    const error = await failure(sessions.validate(token));
    expect((proxy.calls.BatchGetItem ?? 0) - before).toBe(MAX_ATTEMPTS);
    expect((error.cause as Error).name).toBe("ProvisionedThroughputExceededException");
    proxy.mode = "pass";
    expect(await sessions.validate(token)).toMatchObject({ ok: true });
  });

  it("never reports a throttled compare-and-swap as a lost race", async () => {
    const record = makeRecord();
    await store.create(record);
    proxy.mode = "throttle";
    await failure(store.update({ ...record, version: 2 }, 1));
    proxy.mode = "pass";
    expect(await store.update({ ...record, version: 2 }, 1)).toBe(true);
  });

  it("fails a throttled revokeAll rather than reporting fewer sessions removed", async () => {
    const userId = `throttled-revoke-${Date.now()}`;
    for (let i = 0; i < 3; i++) await store.create(makeRecord({ userId }));
    proxy.mode = "throttle";
    await failure(store.deleteByUser(userId));
    await failure(store.listByUser(userId));
    proxy.mode = "pass";
    expect(await store.deleteByUser(userId)).toBe(3);
  });
});
