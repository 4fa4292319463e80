/**
 * The servers the bench talks to: the machine's shared Redis and PostgreSQL (touched only under
 * this run's own key prefix and schema, removed at the end) and throwaway redis-servers the
 * bench starts itself for the scale runs, stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import mysql from "mysql2/promise";
import pg from "pg";

/** Where the shared servers are. `REDIS_URL` / `DATABASE_URL` override the defaults. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** node-postgres settings of the shared server (database `test`, trust auth). */
export const PG_CONFIG: pg.PoolConfig = process.env.DATABASE_URL
  ? { connectionString: process.env.DATABASE_URL }
  : { host: "127.0.0.1", port: 5432, user: "postgres", database: "test" };

/** The shared MySQL-compatible server (MariaDB here), root without a password by default. */
export const MYSQL_URL = process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

/** A name unique to this run, safe as a Postgres identifier and in a Redis key. */
export function runId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

/** Whether something accepts TCP connections on `host:port`. */
export function reachable(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function portOf(url: string, fallback: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || "127.0.0.1", port: Number(parsed.port) || fallback };
}

/** Which shared servers answer. */
export async function availableServices(): Promise<{
  redis: boolean;
  postgres: boolean;
  mysql: boolean;
}> {
  const redis = portOf(REDIS_URL, 6379);
  const pgUrl = process.env.DATABASE_URL ?? "postgres://127.0.0.1:5432/test";
  const postgres = portOf(pgUrl, 5432);
  const mysqlServer = portOf(MYSQL_URL, 3306);
  const [r, p, m] = await Promise.all([
    reachable(redis.port, redis.host),
    reachable(postgres.port, postgres.host),
    reachable(mysqlServer.port, mysqlServer.host),
  ]);
  return { redis: r, postgres: p, mysql: m };
}

/** This run's MySQL database (named like its Postgres schema), created at the start. */
export async function createMysqlDatabase(name: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await connection.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
}

/** Drops this run's MySQL database (never anything else). */
export async function dropMysqlDatabase(name: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}

/** This run's Postgres schema: created at the start, dropped with everything in it at the end. */
export async function createSchema(schema: string): Promise<void> {
  const client = new pg.Client(PG_CONFIG);
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
}

/** Drops this run's schema (never anything else). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client(PG_CONFIG);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes this run's keys from the shared Redis (SCAN by prefix; never FLUSH). */
export async function deleteRedisPrefix(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server this process started, on loopback, without persistence. */
export interface ThrowawayRedis {
  url: string;
  port: number;
  pid: number;
  /** Stops the server by its PID and removes its working directory. */
  stop(): Promise<void>;
}

/**
 * Starts a private redis-server on a free loopback port (never the machine's 6379), with no
 * snapshots and no append-only file, for runs that fill it with millions of keys.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--protected-mode",
      "yes",
    ],
    { stdio: "ignore" },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start redis-server (is it installed?)");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If this process ends without calling stop() (an error, Ctrl-C), take the server with it.
  const onExit = () => {
    if (child.exitCode === null) process.kill(pid, "SIGTERM");
  };
  process.once("exit", onExit);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await reachable(port)) break;
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    async stop() {
      process.off("exit", onExit);
      if (child.exitCode === null) {
        process.kill(pid, "SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) process.kill(pid, "SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
