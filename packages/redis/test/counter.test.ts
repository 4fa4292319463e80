/**
 * RedisLimitCounter on the machine's Redis: the counter contract of Tessera's limits, shared by
 * two "servers", and a login throttle that counts across them.
 */
import { createLoginThrottle, isTesseraError } from "@tessera/core";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisLimitCounter } from "../src/index.js";
import { deleteKeysUnder, uniquePrefix } from "./helpers.js";
import { CI, freePort, redisAnswers } from "./servers.js";

const SHARED_PORT = 6379;
const sharedUp = await redisAnswers(SHARED_PORT);
if (!sharedUp) {
  const message = `Redis on 127.0.0.1:${SHARED_PORT} is unreachable: the RedisLimitCounter tests cannot run`;
  if (CI) throw new Error(message);
  console.warn(`\n[@tessera/redis] WARNING: ${message}; they are skipped.\n`);
}

describe.runIf(sharedUp)("RedisLimitCounter on a single Redis (127.0.0.1:6379)", () => {
  const prefix = uniquePrefix("limits");
  const client = new Redis({ host: "127.0.0.1", port: SHARED_PORT, maxRetriesPerRequest: 1 });

  afterAll(async () => {
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  it("counts hits in a window with one expiry set on the first hit", async () => {
    const counter = new RedisLimitCounter({ client, prefix });
    const first = await counter.hit("k", 60_000);
    expect(first.count).toBe(1);
    expect(first.resetInMs).toBeGreaterThan(0);
    expect(first.resetInMs).toBeLessThanOrEqual(60_000);
    expect((await counter.hit("k", 60_000)).count).toBe(2);
    expect((await counter.peek("k"))?.count).toBe(2);
    expect(Number(await client.pttl(`${prefix}k`))).toBeGreaterThan(0);
    await counter.reset("k");
    expect(await counter.peek("k")).toBeNull();
    expect(await client.exists(`${prefix}k`)).toBe(0);
  });

  it("gives a count left without an expiry one, so no key outlives its window for ever", async () => {
    const counter = new RedisLimitCounter({ client, prefix });
    await client.set(`${prefix}stuck`, "7");
    expect((await counter.hit("stuck", 30_000)).count).toBe(8);
    expect(Number(await client.pttl(`${prefix}stuck`))).toBeGreaterThan(0);
  });

  it("shares counts between servers: a login throttle locks a pair whichever server saw the failures", async () => {
    const serverA = createLoginThrottle({ counter: new RedisLimitCounter({ client, prefix }) });
    const serverB = createLoginThrottle({ counter: new RedisLimitCounter({ client, prefix }) });
    const attempt = { account: "alice", address: "198.51.100.7" };
    for (let i = 0; i < 5; i++) await (i % 2 === 0 ? serverA : serverB).failed(attempt);
    const refused = await serverB.check(attempt);
    expect(refused?.status).toBe(429);
    expect(refused?.body).toBe('{"error":"too-many-requests"}');
    expect(await serverA.check({ account: "alice", address: "203.0.113.1" })).toBeNull();
  });

  it("answers StoreUnavailableError (503, fail closed) when Redis cannot be reached", async () => {
    const port = await freePort();
    const down = new Redis({
      host: "127.0.0.1",
      port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const counter = new RedisLimitCounter({ client: down, prefix });
    const error = await counter.hit("k", 1000).catch((caught: unknown) => caught);
    expect(isTesseraError(error, "store-unavailable")).toBe(true);
    down.disconnect();
  });
});
