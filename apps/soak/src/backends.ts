/**
 * The soak's own store servers, each restartable with its data: redis-server with an append-only
 * file, a three-node Redis Cluster (also on AOF), a PostgreSQL cluster made with initdb in a temp
 * folder, PGlite on a folder (closed and reopened), a MariaDB server of its own (mariadb-install-db
 * in a temp folder, its own port and socket), dynalite on a LevelDB folder in its own process, and
 * a SQLite file in WAL mode through better-sqlite3 (closed and reopened). The network ones sit
 * behind a loopback delay proxy. Nothing here touches the machine's shared Redis, PostgreSQL or
 * MariaDB.
 *
 * Each backend may also bring failure scenarios of its own (`Scenario`): a Cluster master killed
 * and its replica promoted, Redis out of memory under `noeviction`, the Postgres pool exhausted, a
 * Postgres crash mid-transaction, DynamoDB throttling.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PGlite } from "@electric-sql/pglite";
import type { SessionStore, Sessions } from "@tessera/core";
import type { SessionRecord } from "@tessera/core/store";
import { DynamoDBStore } from "@tessera/dynamodb";
import { createTable } from "@tessera/dynamodb/setup";
import { MySQLStore } from "@tessera/mysql";
import { migrate as migrateMysql } from "@tessera/mysql/setup";
import { PostgresStore } from "@tessera/postgres";
import { migrate } from "@tessera/postgres/setup";
import { RedisStore } from "@tessera/redis";
import { SQLiteStore } from "@tessera/sqlite";
import { migrate as migrateSqlite } from "@tessera/sqlite/setup";
import Database from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzleMysql } from "drizzle-orm/mysql2";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { Cluster, Redis } from "ioredis";
import mysql from "mysql2/promise";
import pg from "pg";
import {
  freePort,
  REDIS_CLI,
  type RedisProcess,
  rawCommand,
  startRedis,
  stopRedis,
} from "../../../packages/redis/test/servers.js";
import { DelayProxy, ThrottleProxy } from "./proxy.js";

/** What a failure scenario gets from its lane. */
export interface ScenarioContext {
  /** The app's sessions (for canary writes through core, as the app writes). */
  sessions: Sessions;
  /** Ids of the sessions the lane's devices hold right now. */
  liveSessionIds(): string[];
  /** Call the moment the failure is injected: the window and its clock start there. */
  injected(): void;
  /** Call once the store serves every live session again. */
  recovered(): void;
  log(line: string): void;
}

/** What a scenario measured itself (the lane counts the answers). */
export interface ScenarioOutcome {
  writesChecked: number;
  writesLost: number;
  writesLostOutsideWindow: number;
  note: string;
}

/** A failure of this store the lane injects once per chaos cycle, at `at` of the cycle. */
export interface Scenario {
  name: string;
  at: number;
  /** Injects the failure, waits until the store is back, undoes what it changed. */
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

/** A store server the soak can slow down, cut off and restart. */
export interface Backend {
  name: string;
  /** What the sessions use (through the proxies, if any). */
  store: SessionStore;
  /** Proxies between the store client and the server; empty when there is no network. */
  proxies: DelayProxy[];
  /** Stops the server (its data stays on disk). */
  stopServer(): Promise<void>;
  /** Starts it again on the same data. */
  startServer(): Promise<void>;
  /** Stops everything and removes the data. */
  close(): Promise<void>;
  /** Failures of this store the lane injects (none for most). */
  scenarios?: Scenario[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tessera-soak-${label}-`));
  chmodSync(dir, 0o777);
  return dir;
}

const AOF = ["--appendonly", "yes", "--appendfsync", "always"];
const runAsync = (command: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(command, args, { encoding: "utf8" }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
/** One redis-cli command to a server of the soak, straight to its port (never through a proxy). */
const redisCli = (port: number, ...args: string[]) =>
  runAsync(REDIS_CLI, ["-p", String(port), ...args]).catch(() => "");
/** A field of `INFO` (`used_memory`, `evicted_keys`...). */
const infoField = (info: string, field: string) =>
  new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";

/** An acknowledged write: a canary session created through the app's sessions. */
interface Ack {
  id: string;
  at: number;
}

/**
 * Creates canary sessions one after another (a short pause between) until stopped, keeping the
 * ones the store acknowledged; refused ones are retried after a moment.
 */
function canaryWriter(sessions: Sessions, label: string) {
  const acked: Ack[] = [];
  const errors = new Map<string, number>();
  let refused = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const created = await sessions.create({ userId: `soak-canary-${label}` });
        acked.push({ id: created.session.id, at: Date.now() });
        await sleep(5);
      } catch (error) {
        refused++;
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        const text = cause instanceof Error ? cause.message.slice(0, 60) : String(cause);
        errors.set(text, (errors.get(text) ?? 0) + 1);
        await sleep(20);
      }
    }
  })();
  return {
    acked,
    refused: () => refused,
    /** The refusals by the driver's message, most frequent first (for the notes). */
    errors: () =>
      [...errors]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([text, count]) => `${count}x "${text}"`)
        .join(", ") || "none",
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Reads back every acknowledged canary; the missing ones (asked again while unreachable). */
async function missingWrites(store: SessionStore, acked: Ack[]): Promise<Ack[]> {
  const missing: Ack[] = [];
  for (const ack of acked) {
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await store.get(ack.id)) === null) missing.push(ack);
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(100);
      }
    }
  }
  return missing;
}

/** Waits until one read of every id succeeds (the store serves every live session again). */
async function servesAll(store: SessionStore, ids: () => string[], limitMs = 60_000) {
  const until = Date.now() + limitMs;
  for (;;) {
    try {
      await Promise.all([...ids(), "a".repeat(24)].map((id) => store.get(id)));
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(50);
    }
  }
}

/** The outcome of a scenario that writes canaries through the failure. */
async function checkedWrites(
  store: SessionStore,
  acked: Ack[],
  failedAt: number,
  windowMs: number,
): Promise<Omit<ScenarioOutcome, "note">> {
  const missing = await missingWrites(store, acked);
  return {
    writesChecked: acked.length,
    writesLost: missing.length,
    writesLostOutsideWindow: missing.filter((ack) => failedAt - ack.at > windowMs).length,
  };
}

/** A single redis-server with an append-only file; its failure: reaching maxmemory. */
export async function redisBackend(): Promise<Backend> {
  const dir = tempDir("redis");
  let server: RedisProcess = await startRedis({ dir, extra: AOF });
  const proxy = await DelayProxy.start({ host: "127.0.0.1", port: server.port });
  const client = new Redis(proxy.port, "127.0.0.1", {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
    lazyConnect: true,
  });
  client.on("error", () => {});
  await client.connect();
  const store = new RedisStore({ client, prefix: "soak:" });

  /**
   * Redis full under `noeviction` (its default): maxmemory set below what is in use for 3 s.
   * Writes are refused (503), reads still work, and nothing already written may disappear.
   */
  const fullMemory: Scenario = {
    name: "Redis at maxmemory (noeviction)",
    at: 0.8,
    async run(context) {
      const port = server.port;
      const evictedBefore = Number(
        infoField(await redisCli(port, "INFO", "stats"), "evicted_keys"),
      );
      const used = Number(infoField(await redisCli(port, "INFO", "memory"), "used_memory"));
      const limit = Math.max(1, Math.floor(used / 2));
      const writer = canaryWriter(context.sessions, "oom");
      await sleep(300);
      await redisCli(port, "CONFIG", "SET", "maxmemory-policy", "noeviction");
      await redisCli(port, "CONFIG", "SET", "maxmemory", String(limit));
      const failedAt = Date.now();
      context.injected();
      const refusedBefore = writer.refused();
      const probe = await rawCommand(port, "SET soak:oom-probe x");
      await sleep(3000);
      const refused = writer.refused() - refusedBefore;
      await redisCli(port, "CONFIG", "SET", "maxmemory", "0");
      await servesAll(store, context.liveSessionIds);
      context.recovered();
      await sleep(300);
      await writer.stop();
      const evicted =
        Number(infoField(await redisCli(port, "INFO", "stats"), "evicted_keys")) - evictedBefore;
      const writes = await checkedWrites(store, writer.acked, failedAt, Number.NEGATIVE_INFINITY);
      return {
        ...writes,
        writesLost: writes.writesLost + evicted,
        writesLostOutsideWindow: writes.writesLostOutsideWindow + evicted,
        note: `maxmemory ${limit} B (half of the ${used} B in use) for 3 s: a direct SET answered "${probe ?? "nothing"}", ${refused} canary logins refused, ${evicted} keys evicted`,
      };
    },
  };

  return {
    name: "redis",
    store,
    proxies: [proxy],
    stopServer: () => stopRedis(server),
    async startServer() {
      server = await startRedis({ dir, port: server.port, extra: AOF });
    },
    async close() {
      client.disconnect();
      await proxy.stop();
      await stopRedis(server);
      rmSync(dir, { recursive: true, force: true });
    },
    scenarios: [fullMemory],
  };
}

/** A line of `CLUSTER NODES`. */
interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  /** The master's id, for a replica. */
  of: string;
  slots: string[];
}

/** A node's view of the cluster, or [] if it does not answer. */
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const out = await redisCli(port, "CLUSTER", "NODES");
  return out
    .trim()
    .split("\n")
    .filter((line) => line.includes("@"))
    .map((line) => {
      const fields = line.split(" ");
      const flags = fields[2]!.split(",");
      return {
        id: fields[0]!,
        port: Number(fields[1]!.split("@")[0]!.split(":").at(-1)),
        master: flags.includes("master"),
        failed: flags.includes("fail") || flags.includes("fail?"),
        of: fields[3]!,
        slots: fields.slice(8),
      };
    });
}

/** Node timeout of the soak's cluster: a dead master is failed over within a few seconds. */
const CLUSTER_NODE_TIMEOUT = 1000;
/**
 * How long an acknowledged write may still be only on the master (Redis replicates after it
 * answers): a write lost in a failover that was acknowledged earlier than this counts against
 * the bound. Replicas report their offset every second (`REPLCONF ACK`), so a second.
 */
const REPLICATION_WINDOW_MS = 1000;

/**
 * A Redis Cluster of three masters and three replicas on AOF, every node behind its own proxy
 * (ioredis `natMap`, so a promoted replica is reached through its proxy too). Its failure: a
 * master killed with SIGKILL under load and its replica promoted.
 */
export async function clusterBackend(): Promise<Backend> {
  const dir = tempDir("cluster");
  const nodes: { port: number; extra: string[]; server: RedisProcess }[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    const extra = [
      ...AOF,
      "--appendfilename",
      `appendonly-${port}.aof`,
      "--appenddirname",
      `aof-${port}`,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(dir, `nodes-${port}.conf`),
      "--cluster-port",
      String(await freePort()),
      "--cluster-node-timeout",
      String(CLUSTER_NODE_TIMEOUT),
    ];
    nodes.push({ port, extra, server: await startRedis({ dir, port, extra }) });
  }
  execFileSync(REDIS_CLI, [
    "--cluster",
    "create",
    ...nodes.map((node) => `127.0.0.1:${node.port}`),
    "--cluster-replicas",
    "1",
    "--cluster-yes",
  ]);
  /** Every node says cluster_state:ok and every master has an online replica. */
  const clusterOk = async () => {
    for (let waited = 0; waited < 60_000; waited += 100) {
      const states = await Promise.all(nodes.map((node) => redisCli(node.port, "CLUSTER", "INFO")));
      const view = await clusterNodes(nodes[0]!.port);
      const masters = view.filter((node) => node.master && !node.failed);
      const replicated = await Promise.all(
        masters.map(async (master) =>
          /slave0:.*state=online/.test(await redisCli(master.port, "INFO", "replication")),
        ),
      );
      if (
        states.every((info) => info.includes("cluster_state:ok")) &&
        masters.length === 3 &&
        replicated.every(Boolean)
      ) {
        return;
      }
      await sleep(100);
    }
    throw new Error("the soak's Redis Cluster did not reach cluster_state:ok with replicas");
  };
  await clusterOk();
  const proxies = await Promise.all(
    nodes.map((node) => DelayProxy.start({ host: "127.0.0.1", port: node.port })),
  );
  const natMap = Object.fromEntries(
    nodes.map((node, i) => [
      `127.0.0.1:${node.port}`,
      { host: "127.0.0.1", port: proxies[i]!.port },
    ]),
  );
  const client = new Cluster(
    proxies.map((proxy) => ({ host: "127.0.0.1", port: proxy.port })),
    {
      natMap,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => 200,
      slotsRefreshTimeout: 1000,
      redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1000 },
    },
  );
  client.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    client.once("ready", resolve);
    client.once("error", reject);
  });
  const store = new RedisStore({ client, prefix: "soak:" });
  let killed = 0;

  /**
   * A master killed with SIGKILL while canary logins and the lane's users write, its replica
   * promoted by the cluster; then the dead node is started again and rejoins as a replica.
   */
  const failover: Scenario = {
    name: "Cluster master killed, replica promoted",
    at: 0.8,
    async run(context) {
      await clusterOk();
      const view = await clusterNodes(nodes[0]!.port);
      const masters = view.filter((node) => node.master && node.slots.length > 0);
      const victim = masters[killed++ % masters.length]!;
      const replica = view.find((node) => !node.master && node.of === victim.id);
      const node = nodes.find((candidate) => candidate.port === victim.port)!;
      const writer = canaryWriter(context.sessions, "failover");
      await sleep(500);
      const exited = new Promise((resolve) => node.server.child.once("exit", resolve));
      node.server.child.kill("SIGKILL");
      const failedAt = Date.now();
      context.injected();
      await exited;
      const before = writer.acked.filter((ack) => ack.at <= failedAt).map((ack) => ack.id);
      await servesAll(store, () => [...context.liveSessionIds(), ...before.slice(-60)]);
      context.recovered();
      const recoveredMs = Date.now() - failedAt;
      await sleep(300);
      await writer.stop();
      const promoted = (await clusterNodes(replica?.port ?? nodes[0]!.port)).find(
        (entry) => entry.port === replica?.port,
      );
      const writes = await checkedWrites(store, writer.acked, failedAt, REPLICATION_WINDOW_MS);
      const inWindow = writer.acked.filter(
        (ack) => ack.at <= failedAt && failedAt - ack.at <= REPLICATION_WINDOW_MS,
      ).length;
      node.server = await startRedis({ dir, port: node.port, extra: node.extra });
      await clusterOk();
      return {
        ...writes,
        note: `killed master :${victim.port} (slots ${victim.slots.join(" ")}); replica :${replica?.port} ${promoted?.master ? "promoted" : "NOT promoted"}, every session served again after ${recoveredMs} ms; ${writer.acked.length} canary logins acknowledged, ${inWindow} in the ${REPLICATION_WINDOW_MS} ms before the kill, ${writes.writesLost} lost (refused: ${writer.errors()}); the dead node rejoined as a replica`,
      };
    },
  };

  return {
    name: "redis-cluster",
    store,
    proxies,
    async stopServer() {
      await Promise.all(nodes.map((node) => stopRedis(node.server)));
    },
    async startServer() {
      for (const node of nodes) {
        node.server = await startRedis({ dir, port: node.port, extra: node.extra });
      }
      await clusterOk();
    },
    async close() {
      client.disconnect();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      await Promise.all(nodes.map((node) => stopRedis(node.server)));
      rmSync(dir, { recursive: true, force: true });
    },
    scenarios: [failover],
  };
}

/** The PostgreSQL binaries of this machine (Debian's layout). */
function postgresBin(tool: string): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort() : [];
  const version = versions.at(-1);
  if (!version) throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql");
  return join(root, version, "bin", tool);
}

/** Runs a PostgreSQL tool, as the postgres user when running as root (initdb refuses root). */
function postgresTool(tool: string, args: string[]): void {
  const command = isRoot ? "runuser" : postgresBin(tool);
  const full = isRoot ? ["-u", "postgres", "--", postgresBin(tool), ...args] : args;
  execFileSync(command, full, { stdio: "ignore" });
}

/** Runs a PostgreSQL tool without blocking the other lanes (as `postgresTool` does). */
function postgresToolAsync(tool: string, args: string[]): Promise<string> {
  const command = isRoot ? "runuser" : postgresBin(tool);
  const full = isRoot ? ["-u", "postgres", "--", postgresBin(tool), ...args] : args;
  return runAsync(command, full);
}

/** Connections in the app's pool. */
const POOL_MAX = 8;

/**
 * A PostgreSQL cluster of the soak's own, made with initdb in a temp folder on a free port. Its
 * failures: the app's pool exhausted, and the server killed (`-m immediate`) while a transaction
 * is open, then started again.
 */
export async function postgresBackend(): Promise<Backend> {
  const dir = tempDir("postgres");
  const data = join(dir, "data");
  const port = await freePort();
  postgresTool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const pgCtlArgs = (...args: string[]) => [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "60",
    ...args,
  ];
  const pgCtl = (...args: string[]) => postgresTool("pg_ctl", pgCtlArgs(...args));
  const startArgs = [
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`,
    "start",
  ];
  const start = () => pgCtl(...startArgs);
  start();
  const proxy = await DelayProxy.start({ host: "127.0.0.1", port });
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port: proxy.port,
    user: "postgres",
    database: "postgres",
    max: POOL_MAX,
    connectionTimeoutMillis: 1000,
  });
  pool.on("error", () => {});
  const db = drizzlePg({ client: pool });
  await migrate(db);
  const store = new PostgresStore({ db });

  /** Every connection of the app's pool taken for 3 s: requests wait for one, then 503. */
  const poolExhausted: Scenario = {
    name: "Postgres pool exhausted",
    at: 0.72,
    async run(context) {
      const held: pg.PoolClient[] = [];
      const takenFrom = Date.now();
      while (held.length < POOL_MAX) {
        try {
          held.push(await pool.connect());
        } catch {
          await sleep(20); // every connection in use: wait for the next one
        }
      }
      const tookMs = Date.now() - takenFrom;
      context.injected();
      await sleep(3000);
      for (const client of held) client.release();
      await servesAll(store, context.liveSessionIds);
      context.recovered();
      return {
        writesChecked: 0,
        writesLost: 0,
        writesLostOutsideWindow: 0,
        note: `all ${POOL_MAX} connections of the app's pool held for 3 s (taking them took ${tookMs} ms); each request waited connectionTimeoutMillis (1000 ms) for one`,
      };
    },
  };

  /**
   * A transaction holding a live session's row (its version raised, its owner changed, not
   * committed) open while the server is killed and started again, canary logins running: the
   * transaction must be rolled back and every acknowledged login kept.
   */
  const crashMidTransaction: Scenario = {
    name: "Postgres killed mid-transaction, restarted",
    at: 0.88,
    async run(context) {
      const direct = new pg.Client({
        host: "127.0.0.1",
        port,
        user: "postgres",
        database: "postgres",
      });
      direct.on("error", () => {});
      await direct.connect();
      const id =
        context.liveSessionIds()[0] ??
        (await context.sessions.create({ userId: "soak-canary-tx" })).session.id;
      const { rows } = await direct.query<{ version: number }>(
        "SELECT version FROM sessions WHERE id = $1",
        [id],
      );
      const version = rows[0]?.version ?? 0;
      await direct.query("BEGIN");
      await direct.query(
        "UPDATE sessions SET version = version + 1000000, user_id = 'mid-transaction' WHERE id = $1",
        [id],
      );
      const writer = canaryWriter(context.sessions, "crash");
      await sleep(500);
      await postgresToolAsync("pg_ctl", pgCtlArgs("-m", "immediate", "stop"));
      const failedAt = Date.now();
      context.injected();
      await sleep(1000);
      await postgresToolAsync("pg_ctl", pgCtlArgs(...startArgs));
      await servesAll(store, context.liveSessionIds);
      context.recovered();
      await sleep(300);
      await writer.stop();
      await direct.end().catch(() => {});
      let after: SessionRecord | null = null;
      for (let attempt = 0; ; attempt++) {
        try {
          after = await store.get(id);
          break;
        } catch (error) {
          if (attempt > 100) throw error;
          await sleep(100);
        }
      }
      const rolledBack =
        after === null || (after.userId !== "mid-transaction" && after.version < version + 1000000);
      const writes = await checkedWrites(store, writer.acked, failedAt, Number.NEGATIVE_INFINITY);
      return {
        ...writes,
        // An uncommitted change that survived the crash is a corrupted session: it counts.
        writesLostOutsideWindow: writes.writesLostOutsideWindow + (rolledBack ? 0 : 1),
        note: `an open transaction on session ${id.slice(0, 6)} (version ${version} + 1000000, owner changed) when the server was killed: ${rolledBack ? "rolled back" : "NOT ROLLED BACK"}; ${writer.acked.length} canary logins acknowledged, ${writes.writesLost} lost`,
      };
    },
  };

  return {
    name: "postgres",
    store,
    proxies: [proxy],
    async stopServer() {
      pgCtl("-m", "fast", "stop");
    },
    async startServer() {
      start();
    },
    async close() {
      await pool.end().catch(() => {});
      await proxy.stop();
      try {
        pgCtl("-m", "immediate", "stop");
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
    scenarios: [poolExhausted, crashMidTransaction],
  };
}

/**
 * PGlite on a folder. A restart closes the database and opens the folder again; in between, the
 * store refuses every call, as a store whose server is down would.
 */
export async function pgliteBackend(): Promise<Backend> {
  const dir = tempDir("pglite");
  const open = async () => {
    const database = await PGlite.create(dir);
    const db = drizzlePglite({ client: database });
    await migrate(db);
    const inner = new PostgresStore({ db });
    return { database, inner };
  };
  let current: Awaited<ReturnType<typeof open>> | null = await open();
  const use = () => {
    if (!current) return Promise.reject(new Error("PGlite is closed (restarting)"));
    return Promise.resolve(current.inner);
  };
  const store: SessionStore = {
    create: (record: SessionRecord) => use().then((s) => s.create(record)),
    get: (id) => use().then((s) => s.get(id)),
    update: (record, expected) => use().then((s) => s.update(record, expected)),
    delete: (id) => use().then((s) => s.delete(id)),
    listByUser: (userId) => use().then((s) => s.listByUser(userId)),
    deleteByUser: (userId, except) => use().then((s) => s.deleteByUser(userId, except)),
    getWithEpochs: (id) => use().then((s) => s.getWithEpochs(id)),
    readEpochs: (userId) => use().then((s) => s.readEpochs(userId)),
    raiseEpoch: (userId, at) => use().then((s) => s.raiseEpoch(userId, at)),
  };
  return {
    name: "pglite",
    store,
    proxies: [],
    async stopServer() {
      const closing = current;
      current = null;
      await closing?.database.close();
    },
    async startServer() {
      current = await open();
    },
    async close() {
      await current?.database.close();
      current = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const MARIADBD = "/usr/sbin/mariadbd";

/**
 * A MariaDB server of the soak's own: a data folder made by mariadb-install-db, started as a child
 * process on a free port and a socket in that folder, reading no option file (the machine's
 * my.cnf names the shared server's data folder, port and socket). A restart stops it with SIGTERM
 * (a clean InnoDB shutdown) and starts it again on the same data.
 */
export async function mariadbBackend(): Promise<Backend> {
  if (!existsSync(MARIADBD)) throw new Error(`MariaDB not found (${MARIADBD})`);
  const dir = tempDir("mariadb");
  const data = join(dir, "data");
  const port = await freePort();
  const asUser = isRoot ? ["--user=mysql"] : [];
  execFileSync(
    "mariadb-install-db",
    [
      "--no-defaults",
      `--datadir=${data}`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      ...asUser,
    ],
    { stdio: "ignore" },
  );
  let child: ChildProcess | null = null;
  const ready = async () => {
    for (let waited = 0; waited < 60_000; waited += 100) {
      try {
        const connection = await mysql.createConnection({ host: "127.0.0.1", port, user: "root" });
        await connection.end();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error("the soak's MariaDB did not answer within 60 s");
  };
  const start = async () => {
    const server = spawn(
      MARIADBD,
      [
        "--no-defaults",
        `--datadir=${data}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(dir, "mysqld.sock")}`,
        `--pid-file=${join(dir, "mysqld.pid")}`,
        "--skip-log-bin",
        "--innodb-buffer-pool-size=64M",
        ...asUser,
      ],
      { stdio: "ignore" },
    );
    child = server;
    await ready();
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };
  await start();
  const setup = await mysql.createConnection({ host: "127.0.0.1", port, user: "root" });
  await setup.query("CREATE DATABASE soak");
  await setup.end();
  const proxy = await DelayProxy.start({ host: "127.0.0.1", port });
  const pool = mysql.createPool({
    host: "127.0.0.1",
    port: proxy.port,
    user: "root",
    database: "soak",
    connectionLimit: 8,
    connectTimeout: 1000,
  });
  const db = drizzleMysql({ client: pool });
  await migrateMysql(db);
  return {
    name: "mariadb",
    store: new MySQLStore({ db }),
    proxies: [proxy],
    stopServer: stop,
    startServer: start,
    async close() {
      await pool.end().catch(() => {});
      await proxy.stop();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * SQLite: a WAL file through better-sqlite3, in process. A restart closes the database and opens
 * the file again; in between, the store keeps its closed connection, so every call fails with the
 * driver's own error (as an application whose database was closed under it would see).
 */
export async function sqliteBackend(): Promise<Backend> {
  const dir = tempDir("sqlite");
  const file = join(dir, "sessions.db");
  const open = async () => {
    const client = new Database(file);
    client.pragma("journal_mode = WAL");
    client.pragma("busy_timeout = 1000");
    const db = drizzleSqlite({ client });
    await migrateSqlite(db);
    return { client, inner: new SQLiteStore({ db }) };
  };
  let current = await open();
  const store: SessionStore = {
    create: (record) => current.inner.create(record),
    get: (id) => current.inner.get(id),
    update: (record, expected) => current.inner.update(record, expected),
    delete: (id) => current.inner.delete(id),
    listByUser: (userId) => current.inner.listByUser(userId),
    deleteByUser: (userId, except) => current.inner.deleteByUser(userId, except),
    getWithEpochs: (id) => current.inner.getWithEpochs(id),
    readEpochs: (userId) => current.inner.readEpochs(userId),
    raiseEpoch: (userId, at) => current.inner.raiseEpoch(userId, at),
  };
  return {
    name: "sqlite",
    store,
    proxies: [],
    async stopServer() {
      current.client.close();
    },
    async startServer() {
      current = await open();
    },
    async close() {
      if (current.client.open) current.client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** dynalite on a LevelDB folder, in its own process so it can be killed and started again. */
export async function dynaliteBackend(): Promise<Backend> {
  const dir = tempDir("dynalite");
  const port = await freePort();
  const script = fileURLToPath(new URL("./dynalite-process.mjs", import.meta.url));
  let child: ChildProcess | null = null;
  const start = async () => {
    const process_ = spawn(process.execPath, [script, join(dir, "db"), String(port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child = process_;
    await new Promise<void>((resolve, reject) => {
      process_.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("dynalite ready")) resolve();
      });
      process_.once("exit", (code) => reject(new Error(`dynalite exited with ${code}`)));
    });
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };
  await start();
  // The SDK -> delay proxy -> throttling proxy (HTTP) -> dynalite.
  const throttle = await ThrottleProxy.start({ host: "127.0.0.1", port });
  const proxy = await DelayProxy.start({ host: "127.0.0.1", port: throttle.port });
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${proxy.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "soak", secretAccessKey: "soak" },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1500 },
  });
  const tableName = "tessera-soak";
  await createTable(client, { tableName, pollInterval: 20 });
  const store = new DynamoDBStore({ client, tableName });

  /**
   * Every DynamoDB call answered 400 `ProvisionedThroughputExceededException` for 3 s, as a
   * table over its provisioned capacity is: the SDK retries, then the store reports
   * `StoreUnavailableError` and the app answers 503.
   */
  const throttling: Scenario = {
    name: "DynamoDB throttling",
    at: 0.8,
    async run(context) {
      const writer = canaryWriter(context.sessions, "throttle");
      await sleep(300);
      const before = { ...throttle.counts };
      throttle.throttling = true;
      const failedAt = Date.now();
      context.injected();
      await sleep(3000);
      throttle.throttling = false;
      const during = {
        throttled: throttle.counts.throttled - before.throttled,
        retries: throttle.counts.throttledRetries - before.throttledRetries,
      };
      await servesAll(store, context.liveSessionIds);
      context.recovered();
      await sleep(300);
      await writer.stop();
      const writes = await checkedWrites(store, writer.acked, failedAt, Number.NEGATIVE_INFINITY);
      return {
        ...writes,
        note: `${during.throttled} DynamoDB calls answered 400 ProvisionedThroughputExceededException in 3 s, ${during.retries} of them SDK retries (maxAttempts 2); ${writer.acked.length} canary logins acknowledged, ${writes.writesLost} lost`,
      };
    },
  };

  return {
    name: "dynalite",
    store,
    proxies: [proxy],
    stopServer: stop,
    startServer: start,
    async close() {
      client.destroy();
      await proxy.stop();
      await throttle.stop();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    scenarios: [throttling],
  };
}

/** Every backend the soak runs, by name. */
export const BACKENDS = {
  redis: redisBackend,
  "redis-cluster": clusterBackend,
  postgres: postgresBackend,
  pglite: pgliteBackend,
  mariadb: mariadbBackend,
  dynalite: dynaliteBackend,
  sqlite: sqliteBackend,
} as const;
