/**
 * The soak's own store servers, each restartable with its data: redis-server with an append-only
 * file, a three-node Redis Cluster (also on AOF), a PostgreSQL cluster made with initdb in a temp
 * folder, PGlite on a folder (closed and reopened), a MariaDB server of its own (mariadb-install-db
 * in a temp folder, its own port and socket), dynalite on a LevelDB folder in its own process, and
 * a SQLite file in WAL mode through better-sqlite3 (closed and reopened). The network ones sit
 * behind a loopback delay proxy. Nothing here touches the machine's shared Redis, PostgreSQL or
 * MariaDB.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PGlite } from "@electric-sql/pglite";
import type { SessionStore } from "@tessera/core";
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
  startRedis,
  stopRedis,
} from "../../../packages/redis/test/servers.js";
import { DelayProxy } from "./proxy.js";

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
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tessera-soak-${label}-`));
  chmodSync(dir, 0o777);
  return dir;
}

const AOF = ["--appendonly", "yes", "--appendfsync", "always"];

/** A single redis-server with an append-only file. */
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
  return {
    name: "redis",
    store: new RedisStore({ client, prefix: "soak:" }),
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
  };
}

/** A Redis Cluster of three masters on AOF, each behind its own proxy (ioredis `natMap`). */
export async function clusterBackend(): Promise<Backend> {
  const dir = tempDir("cluster");
  const nodes: { port: number; extra: string[]; server: RedisProcess }[] = [];
  for (let i = 0; i < 3; i++) {
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
      "5000",
    ];
    nodes.push({ port, extra, server: await startRedis({ dir, port, extra }) });
  }
  execFileSync(REDIS_CLI, [
    "--cluster",
    "create",
    ...nodes.map((node) => `127.0.0.1:${node.port}`),
    "--cluster-replicas",
    "0",
    "--cluster-yes",
  ]);
  const clusterOk = async () => {
    for (let waited = 0; waited < 30_000; waited += 100) {
      const states = nodes.map((node) => {
        try {
          return execFileSync(REDIS_CLI, ["-p", String(node.port), "CLUSTER", "INFO"], {
            encoding: "utf8",
          });
        } catch {
          return "";
        }
      });
      if (states.every((info) => info.includes("cluster_state:ok"))) return;
      await sleep(100);
    }
    throw new Error("the soak's Redis Cluster did not reach cluster_state:ok");
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
  return {
    name: "redis-cluster",
    store: new RedisStore({ client, prefix: "soak:" }),
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

/** A PostgreSQL cluster of the soak's own, made with initdb in a temp folder on a free port. */
export async function postgresBackend(): Promise<Backend> {
  const dir = tempDir("postgres");
  const data = join(dir, "data");
  const port = await freePort();
  postgresTool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const pgCtl = (...args: string[]) =>
    postgresTool("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", ...args]);
  const start = () =>
    pgCtl("-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`, "start");
  start();
  const proxy = await DelayProxy.start({ host: "127.0.0.1", port });
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port: proxy.port,
    user: "postgres",
    database: "postgres",
    max: 8,
    connectionTimeoutMillis: 1000,
  });
  pool.on("error", () => {});
  const db = drizzlePg({ client: pool });
  await migrate(db);
  const store = new PostgresStore({ db });
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
  const proxy = await DelayProxy.start({ host: "127.0.0.1", port });
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${proxy.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "soak", secretAccessKey: "soak" },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1500 },
  });
  const tableName = "tessera-soak";
  await createTable(client, { tableName, pollInterval: 20 });
  return {
    name: "dynalite",
    store: new DynamoDBStore({ client, tableName }),
    proxies: [proxy],
    stopServer: stop,
    startServer: start,
    async close() {
      client.destroy();
      await proxy.stop();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
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
