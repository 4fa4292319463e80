/**
 * The Redis commands the store sends, on either client library it accepts: ioredis (`Redis`,
 * `Cluster`) or node-redis (`redis` v5 and v6: `createClient`, `createCluster`). The store speaks
 * only to `RedisCommands`; each adapter is a direct call of the library's own method, so the hot
 * path stays one `GET` and nothing is buffered, retried or reordered here.
 */
import { TesseraConfigError } from "@tessera/core";
import type { Cluster, Redis } from "ioredis";

/**
 * A node-redis client or cluster, as `createClient()` / `createCluster()` of `redis` v5 or v6
 * return it (connected by you, with the default type mapping): the methods the store calls.
 */
export interface NodeRedisClient {
  get(key: string): Promise<unknown>;
  set(
    key: string,
    value: string,
    options: { expiration: { type: "PXAT"; value: number }; condition: "NX" },
  ): Promise<unknown>;
  getDel(key: string): Promise<unknown>;
  mGet(keys: string[]): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** `CONFIG GET` (absent on a node-redis cluster, which routes by key). */
  configGet?(parameter: string): Promise<unknown>;
}

/** A client the store accepts. */
export type RedisClient = Redis | Cluster | NodeRedisClient;

/** What the store needs from Redis, whatever the client library. */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  /** `SET key value PXAT expiry NX`: true when written, false when the key exists. */
  setNew(key: string, value: string, expiry: number): Promise<boolean>;
  getDel(key: string): Promise<string | null>;
  /** `MGET` of keys that share one hash slot (one command, on a cluster too). */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** One value per key: `MGET` on a single node, one `GET` per key on a cluster (any slots). */
  getMany(keys: string[]): Promise<(string | null)[]>;
  evalSha(sha: string, key: string, args: string[]): Promise<unknown>;
  eval(source: string, key: string, args: string[]): Promise<unknown>;
  /** `CONFIG GET parameter` on one node: its value, or `null` when the client cannot ask. */
  configGet(parameter: string): Promise<string | null>;
}

function ioredisCommands(client: Redis | Cluster): RedisCommands {
  return {
    get: (key) => client.get(key),
    setNew: async (key, value, expiry) =>
      (await client.set(key, value, "PXAT", expiry, "NX")) !== null,
    getDel: (key) => client.getdel(key),
    mget: (keys) => client.mget(keys),
    getMany: (keys) =>
      client.isCluster
        ? Promise.all(keys.map((key) => client.get(key)))
        : (client as Redis).mget(keys),
    evalSha: (sha, key, args) => client.evalsha(sha, 1, key, ...args),
    eval: (source, key, args) => client.eval(source, 1, key, ...args),
    configGet: async (parameter) => {
      const reply = await client.config("GET", parameter);
      return Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : null;
    },
  };
}

/** node-redis answers with strings by default; anything else is a mapping the store cannot read. */
function text(value: unknown): string | null {
  if (value === null || typeof value === "string") return value;
  throw new TypeError(`Redis answered a ${typeof value} where a string was expected`);
}

function nodeRedisCommands(client: NodeRedisClient): RedisCommands {
  // A cluster routes each command by its first key, so MGET would fail across slots.
  const cluster = "masters" in client;
  return {
    get: async (key) => text(await client.get(key)),
    setNew: async (key, value, expiry) =>
      (await client.set(key, value, {
        expiration: { type: "PXAT", value: expiry },
        condition: "NX",
      })) !== null,
    getDel: async (key) => text(await client.getDel(key)),
    mget: async (keys) => {
      const values = await client.mGet(keys);
      if (!Array.isArray(values)) throw new TypeError("Redis answered MGET with no list");
      return values.map(text);
    },
    getMany: async (keys) => {
      const values = cluster
        ? await Promise.all(keys.map((key) => client.get(key)))
        : await client.mGet(keys);
      if (!Array.isArray(values)) throw new TypeError("Redis answered MGET with no list");
      return values.map(text);
    },
    evalSha: (sha, key, args) => client.evalSha(sha, { keys: [key], arguments: args }),
    eval: (source, key, args) => client.eval(source, { keys: [key], arguments: args }),
    configGet: async (parameter) => {
      if (typeof client.configGet !== "function") return null;
      const reply = (await client.configGet(parameter)) as Record<string, unknown> | null;
      const value = reply?.[parameter];
      return typeof value === "string" ? value : null;
    },
  };
}

/**
 * The commands for `client`, told apart by their method names (ioredis: `evalsha`; node-redis:
 * `evalSha`). Throws `TesseraConfigError` for anything else.
 */
export function redisCommands(client: unknown): RedisCommands {
  const methods = client as Record<string, unknown> | null | undefined;
  if (methods && typeof methods === "object" && typeof methods.get === "function") {
    if (typeof methods.evalsha === "function") return ioredisCommands(client as Redis | Cluster);
    if (typeof methods.evalSha === "function" && typeof methods.mGet === "function") {
      return nodeRedisCommands(client as NodeRedisClient);
    }
  }
  throw new TesseraConfigError(
    "RedisStore needs options.client: an ioredis Redis or Cluster, or a node-redis client or cluster",
  );
}
