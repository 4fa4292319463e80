/** The machine's Redis for integration tests: connect (or fail, or skip loudly), and clean up. */
import { Redis } from "ioredis";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Connects to the machine's Redis (`REDIS_URL`, default 127.0.0.1:6379). Unreachable: with
 * `CI=true` this throws, failing the suite; otherwise it warns loudly and resolves `null`, and the
 * caller skips what needs Redis.
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

/** A key prefix no other run uses, so suites can share the machine's Redis. */
export function uniquePrefix(label: string): string {
  return `tessera-${label}-test:${Date.now().toString(36)}-${process.pid}:`;
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
