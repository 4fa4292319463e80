/**
 * Times the validate hot read, `store.getWithEpochs(id)` (and `store.get(id)`), on one session,
 * next to a raw consistent `GetItem` of a three-attribute item (the HTTP bench's floor), through
 * the same SDK client settings, against a dynalite started in a child process (so this
 * process's CPU is the client's: the SDK, the store, the mapping). The timing loop is
 * `tooling/test-kit/src/get-bench.mjs`.
 *
 *   node scripts/get-bench.mjs     (RUNS, default 20000 (2000 is plenty here); STORE_MODULE,
 *                                   default @tessera/dynamodb; COMPARE_MODULE: a second build)
 *
 * Run after a build; compare runs on the same machine only.
 */
import { spawn } from "node:child_process";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { createTable } from "@tessera/dynamodb/setup";
import { compareStores, loadStores } from "../../../tooling/test-kit/src/get-bench.mjs";

const { Store: DynamoDBStore, Compared: compared } = await loadStores(
  (module) => import(module),
  "@tessera/dynamodb",
  "DynamoDBStore",
);

// dynalite in a child process (resolved from this package, run from its folder): its CPU must
// not count as the client's.
const child = spawn(
  process.execPath,
  [
    "--input-type=module",
    "-e",
    `import dynalite from "dynalite";
     const server = dynalite({ createTableMs: 0 });
     server.listen(0, "127.0.0.1", () => console.log(server.address().port));`,
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const port = await new Promise((resolve) =>
  child.stdout.once("data", (chunk) => resolve(Number(String(chunk)))),
);
const client = new DynamoDBClient({
  endpoint: `http://127.0.0.1:${port}`,
  region: "us-east-1",
  credentials: { accessKeyId: "get-bench", secretAccessKey: "get-bench" },
  maxAttempts: 2,
});
try {
  const tableName = "sessions";
  await createTable(client, { tableName, pollInterval: 50 });
  const rawKey = { pk: { S: "raw#1" }, sk: { S: "raw#1" } };
  await client.send(
    new PutItemCommand({ TableName: tableName, Item: { ...rawKey, userId: { S: "bench-user" } } }),
  );
  await compareStores({
    name: "DynamoDBStore",
    store: new DynamoDBStore({ client, tableName }),
    compared: compared && new compared({ client, tableName }),
    raw: [
      "raw GetItem (3 attributes)",
      () =>
        client.send(
          new GetItemCommand({ TableName: tableName, Key: rawKey, ConsistentRead: true }),
        ),
    ],
  });
} finally {
  client.destroy();
  child.kill();
}
