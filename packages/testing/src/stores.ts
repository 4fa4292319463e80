/** The stores integration suites run against, and stores that count or fail. */
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

/** Calls of each store method, as counted by `counting`. */
export type StoreCalls = Record<keyof SessionStore, number>;

/** Wraps a store and counts the calls of each method. */
export function counting(store: SessionStore): { store: SessionStore; calls: StoreCalls } {
  const calls: StoreCalls = {
    create: 0,
    get: 0,
    update: 0,
    delete: 0,
    listByUser: 0,
    deleteByUser: 0,
  };
  const wrapped = {} as SessionStore;
  for (const method of Object.keys(calls) as Array<keyof SessionStore>) {
    (wrapped as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls[method] += 1;
      return (store[method] as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return { store: wrapped, calls };
}

/** A store whose every method rejects, like a Redis that went away. */
export function downStore(): SessionStore {
  const fail = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390"));
  return {
    create: fail,
    get: fail,
    update: fail,
    delete: fail,
    listByUser: fail,
    deleteByUser: fail,
  };
}

/** How a `switchable` store behaves right now. */
export type StoreMode = "up" | "down" | "losing-races";

/**
 * Wraps a store so a test can take it down (every call rejects like a refused connection) or
 * make every compare-and-swap lose (`update` resolves `false`, as if another server always
 * wrote first), and bring it back.
 */
export function switchable(store: SessionStore): { store: SessionStore; set(mode: StoreMode): void } {
  let mode: StoreMode = "up";
  const down = downStore();
  const wrapped = {} as SessionStore;
  for (const method of Object.keys(down) as Array<keyof SessionStore>) {
    (wrapped as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      if (mode === "down") return (down[method] as () => Promise<never>)();
      if (mode === "losing-races" && method === "update") return Promise.resolve(false);
      return (store[method] as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return {
    store: wrapped,
    set(next) {
      mode = next;
    },
  };
}

let users = 0;
/** A user id no other test uses (a Redis store is shared by the whole run). */
export function uniqueUser(name: string): string {
  users += 1;
  return `${name}-${Date.now().toString(36)}-${users}-${Math.random().toString(36).slice(2, 8)}`;
}
