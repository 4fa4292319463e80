/**
 * The SDK's logging around the store's commands: an application's own logger still gets every
 * command the store sends, and a client with no logger configured skips the SDK's log-safe copy
 * of each command's input and output (it would be handed to a `logger.info` that does nothing).
 */
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { makeRecord } from "@tessera/store-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBStore } from "../src/index.js";
import { createTable } from "../src/setup.js";
import { makeClient, uniqueTableName } from "./helpers.js";

const tableName = uniqueTableName("logging");
const setupClient = makeClient();

beforeAll(async () => {
  await createTable(setupClient, { tableName, ttl: false, pollInterval: 10 });
});
afterAll(() => setupClient.destroy());

/**
 * Records, per command that went through `client`, whether the logger the SDK's logger
 * middleware will use has an `info` (read after the command settled, as that middleware does).
 */
function watchLoggers(client: DynamoDBClient): Map<string, boolean[]> {
  const seen = new Map<string, boolean[]>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } finally {
        const logger = context.logger as { info?: unknown } | undefined;
        const name = context.commandName ?? "?";
        seen.set(name, [...(seen.get(name) ?? []), typeof logger?.info === "function"]);
      }
    },
    { step: "initialize", priority: "low", name: "testWatchLoggers" },
  );
  return seen;
}

describe("logging", () => {
  it("with no logger configured, the store's commands reach the SDK without logger.info, the application's own commands with it", async () => {
    const client = makeClient();
    const seen = watchLoggers(client);
    const store = new DynamoDBStore({ client, tableName });
    const record = makeRecord({ userId: "logging-user" });
    await store.create(record);
    const found = await store.getWithEpochs(record.id);
    expect(found?.record.id).toBe(record.id);
    expect(await store.get(record.id)).not.toBeNull();
    // The store's reads and writes: no `info`, so no log-safe copy is made.
    expect(seen.get("BatchGetItemCommand")).toEqual([false]);
    expect(seen.get("GetItemCommand")).toEqual([false]);
    expect(seen.get("PutItemCommand")).toEqual([false, false]);
    // The same client, used by the application directly, is left as it was.
    await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `session#${record.id}` }, sk: { S: `session#${record.id}` } },
        ConsistentRead: true,
      }),
    );
    expect(seen.get("GetItemCommand")).toEqual([false, true]);
    client.destroy();
  });

  it("an application's own logger gets every command the store sends, with the items as the SDK logs them for any command", async () => {
    const entries: { commandName?: string; output?: unknown }[] = [];
    const noop = () => {};
    const client = makeClient(undefined, {
      logger: {
        debug: noop,
        warn: noop,
        error: noop,
        info: (entry: { commandName?: string; output?: unknown }) => entries.push(entry),
      },
    });
    const store = new DynamoDBStore({ client, tableName });
    const record = makeRecord({ userId: "logging-user-2" });
    await store.create(record);
    await store.getWithEpochs(record.id);
    await store.delete(record.id);
    expect(entries.map((entry) => entry.commandName)).toEqual([
      "PutItemCommand",
      "PutItemCommand",
      "BatchGetItemCommand",
      "DeleteItemCommand",
      "DeleteItemCommand",
    ]);
    // The read's entry carries the item, as the SDK logs it for any application command.
    expect(JSON.stringify(entries[2]?.output)).toContain(record.secretHash);
    client.destroy();
  });
});
