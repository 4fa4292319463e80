/** What the integration tests share: real stores, a counting wrapper, a cookie-keeping client. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryStore, type SessionStore } from "@tessera/core";
import { Redis } from "ioredis";
import { redisTestStore } from "./redis-store.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Connects to the machine's Redis. Unreachable: with CI=true that fails the suite; otherwise the
 * Redis half of the suite is skipped with a loud warning.
 */
export async function connectRedis(): Promise<Redis | null> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on("error", () => {}); // failures surface through the awaited calls below
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (cause) {
    redis.disconnect();
    const message = `Redis at ${REDIS_URL} is unreachable: the integration tests against a real store need it`;
    if (process.env.CI === "true") throw new Error(message, { cause });
    console.warn(`\n*** WARNING: ${message}; skipping them. ***\n`);
    return null;
  }
}

/** Deletes every key under `prefix` (only this run's keys; never a flush of the shared server). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** A store kind the suite runs against; `make` builds a store on the test's clock. */
export interface StoreKind {
  name: string;
  make: (now: () => number) => SessionStore;
}

export const memoryKind: StoreKind = {
  name: "MemoryStore",
  make: (now) => new MemoryStore({ now }),
};

export function redisKind(redis: Redis, prefix: string): StoreKind {
  const store = redisTestStore(redis, prefix);
  return { name: "Redis", make: () => store };
}

/** Wraps a store and counts the calls of each method. */
export function counting(store: SessionStore) {
  const calls = { create: 0, get: 0, update: 0, delete: 0, listByUser: 0, deleteByUser: 0 };
  const wrapped = {} as SessionStore;
  for (const method of Object.keys(calls) as Array<keyof typeof calls>) {
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

let users = 0;
/** A user id no other test uses (the Redis store is shared by the whole run). */
export function uniqueUser(name: string): string {
  users += 1;
  return `${name}-${Date.now().toString(36)}-${users}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Starts `server` listening on a free loopback port; resolves its base URL and a closer. */
export async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One HTTP answer, read whole. */
export interface Answer {
  status: number;
  body: any;
  headers: Headers;
  /** Every `Set-Cookie` header, in order. */
  cookies: string[];
  /** The `Set-Cookie` value for cookie `name`, if the answer set it. */
  cookie(name: string): string | undefined;
}

/** A browser-like client: keeps cookies across requests (name=value only; Max-Age=0 deletes). */
export class Client {
  readonly jar = new Map<string, string>();

  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string>; bearer?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.jar.size > 0 && !("cookie" in headers)) {
      headers.cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const text = await response.text();
    const cookies = response.headers.getSetCookie();
    for (const line of cookies) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      if (/;\s*Max-Age=0(;|$)/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, pair.slice(eq + 1).trim());
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return {
      status: response.status,
      body,
      headers: response.headers,
      cookies,
      cookie: (name) => cookies.find((line) => line.startsWith(`${name}=`)),
    };
  }

  get(path: string, options?: Parameters<Client["request"]>[2]) {
    return this.request("GET", path, options);
  }

  post(path: string, options?: Parameters<Client["request"]>[2]) {
    return this.request("POST", path, options);
  }
}
