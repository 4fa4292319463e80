/**
 * The CPU a `DynamoDBStore.get` costs this process, against a raw `GetItem` of the same item.
 * Starts dynalite in a child process (so its CPU is not counted), makes a table and one session,
 * then alternates rounds of raw `client.send(new GetItemCommand(...))` and `store.get(id)`,
 * sequentially, and prints the median per-call CPU (user + system, `process.cpuUsage`) and wall
 * time of each. Run from the package, after `pnpm run build`:
 *
 *   node bench/get-loop.mjs [calls per round, default 2000] [rounds, default 7]
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

const dist = process.env.DIST ?? "../dist";
const { DynamoDBStore } = await import(`${dist}/index.js`);
const { createTable } = await import(`${dist}/setup.js`);

const calls = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 7);

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const cli = createRequire(import.meta.url).resolve("dynalite/cli.js");
const server = spawn(
  process.execPath,
  [cli, "--host", "127.0.0.1", "--port", String(port), "--createTableMs", "0"],
  {
    stdio: "ignore",
  },
);
try {
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  for (let i = 0; ; i++) {
    try {
      await createTable(client, { tableName: "bench" });
      break;
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const store = new DynamoDBStore({ client, tableName: "bench" });
  const now = Date.now();
  const record = {
    id: "bench-session-id-0123456789abcdef",
    userId: "user-42",
    version: 3,
    secretHash: "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c",
    previousSecretHash: "z0x9c8v7b6n5m4l3k2j1h0g9f8d7s6a5p4o3i2u1y0t",
    rotationNonce: null,
    retiredSecretHashes: ["m1n2b3v4c5x6z7l8k9j0h1g2f3d4s5a6p7o8i9u0y1t"],
    data: { theme: "dark", cart: [1, 2, 3], flags: { beta: true } },
    createdAt: now,
    authenticatedAt: now,
    freshUntil: now + 600_000,
    lastActiveAt: now,
    rotatedAt: now,
    expiresAt: now + 3_600_000,
    absoluteExpiresAt: now + 86_400_000,
    client: { ip: "203.0.113.7", ua: "chrome/131/macos" },
    dbsc: null,
    // Fields of later record versions; a store of an earlier one ignores them.
    policy: "default",
    impersonatedBy: null,
  };
  await store.create(record);
  const key = { pk: { S: `session#${record.id}` }, sk: { S: `session#${record.id}` } };
  const lanes = {
    "raw GetItem": () =>
      client.send(new GetItemCommand({ TableName: "bench", Key: key, ConsistentRead: true })),
    "store.get": () => store.get(record.id),
  };
  if (typeof store.getWithEpochs === "function") {
    lanes["store.getWithEpochs"] = () => store.getWithEpochs(record.id);
  }
  const results = Object.fromEntries(
    Object.keys(lanes).map((name) => [name, { cpu: [], wall: [] }]),
  );
  // Warm-up: JIT, connection pool.
  for (const run of Object.values(lanes)) for (let i = 0; i < 500; i++) await run();
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(lanes)) {
      const cpu = process.cpuUsage();
      const wall = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await run();
      const used = process.cpuUsage(cpu);
      results[name].cpu.push((used.user + used.system) / calls);
      results[name].wall.push(Number(process.hrtime.bigint() - wall) / 1000 / calls);
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`${rounds} rounds x ${calls} sequential calls; median per call (µs)`);
  for (const [name, { cpu, wall }] of Object.entries(results)) {
    console.log(
      `${name.padEnd(20)} cpu ${median(cpu).toFixed(1).padStart(7)}   wall ${median(wall).toFixed(1).padStart(7)}`,
    );
  }
  client.destroy();
} finally {
  server.kill();
}
