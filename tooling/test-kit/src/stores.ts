/** The stores integration suites run against. */
import { MemoryStore, type SessionStore } from "@tessera/core";

import { RedisStore } from "@tessera/redis";
import type { Redis } from "ioredis";
import { afterAll } from "vitest";
import { connectRedis, dropPrefix, uniquePrefix } from "./redis.js";

/** A store kind a suite runs against; `make` builds a store on the test's clock. */
export interface StoreKind {
  name: string;
  make: (now: () => number) => SessionStore;
}

/** `MemoryStore` on the test's clock: a fresh store per app. */
export const memoryKind: StoreKind = {
  name: "MemoryStore",
  make: (now) => new MemoryStore({ now }),
};

/**
 * `RedisStore` from @tessera/redis on `redis`, under `prefix`. Redis expires keys on its own
 * clock, so tests move their clock forward only (a session's expiry then only moves later).
 */
export function redisKind(redis: Redis, prefix: string): StoreKind {
  const store = new RedisStore({ client: redis, prefix });
  return { name: "RedisStore", make: () => store };
}

/**
 * The kinds an integration suite runs against: `MemoryStore`, and `RedisStore` on the machine's
 * Redis when it answers (see `connectRedis` for when it does not). Call it at the top of a test
 * file: it registers an `afterAll` that deletes this run's keys and disconnects.
 */
export async function storeKinds(label: string): Promise<StoreKind[]> {
  const redis = await connectRedis();
  if (!redis) return [memoryKind];
  const prefix = uniquePrefix(label);
  afterAll(async () => {
    await dropPrefix(redis, prefix);
    await redis.quit();
  });
  return [memoryKind, redisKind(redis, prefix)];
}
