/** The wrappers around a real store: RedisStore on the machine's Redis, and on no Redis at all. */
import { RedisStore } from "@tessera/redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { CI, freePort, redisAnswers } from "../../redis/test/servers.js";
import { ATTRIBUTES, METRICS } from "../src/index.js";
import { observed, sumOf } from "./sdk.js";

const up = await redisAnswers(6379);
if (!up) {
  const message = "Redis on 127.0.0.1:6379 is unreachable: the RedisStore telemetry tests need it";
  if (CI) throw new Error(message);
  console.warn(`\n[@tessera/otel] WARNING: ${message}; they are skipped.\n`);
}

describe.runIf(up)("telemetry around RedisStore", () => {
  const prefix = `tessera-otel-test:${Date.now().toString(36)}-${process.pid}:`;
  const client = new Redis({ host: "127.0.0.1", port: 6379 });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it("names the store redis (db.system) from its class, and times each Redis call", async () => {
    const sdk = observed();
    const sessions = sdk.telemetry.createSessions({ store: new RedisStore({ client, prefix }) });
    const { session, token } = await sessions.create({ userId: "alice" });
    expect((await sessions.validate(token)).ok).toBe(true);
    await sessions.revoke(session.id);

    const [read] = sdk.spansNamed("tessera.store.get");
    expect(read?.attributes).toMatchObject({
      [ATTRIBUTES.storeName]: "redis",
      [ATTRIBUTES.dbSystem]: "redis",
    });
    const times = await sdk.points(METRICS.storeDuration);
    for (const operation of ["create", "get", "delete"]) {
      expect(sumOf(times, { [ATTRIBUTES.storeOperation]: operation })).toBeGreaterThan(0);
    }
    expect(await sdk.points(METRICS.storeErrors)).toEqual([]);
    await sdk.shutdown();
  });

  it("counts the errors of a Redis that is not there, by the store's error code", async () => {
    const sdk = observed();
    const nowhere = new Redis({
      host: "127.0.0.1",
      port: await freePort(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    nowhere.on("error", () => {});
    const sessions = sdk.telemetry.createSessions({
      store: new RedisStore({ client: nowhere, prefix }),
    });
    await expect(sessions.create({ userId: "alice" })).rejects.toMatchObject({
      code: "store-unavailable",
    });
    expect(
      sumOf(await sdk.points(METRICS.storeErrors), {
        [ATTRIBUTES.storeOperation]: "create",
        [ATTRIBUTES.errorType]: "store-unavailable",
      }),
    ).toBe(1);
    expect(sdk.spansNamed("tessera.create")[0]?.attributes[ATTRIBUTES.result]).toBe("error");
    nowhere.disconnect();
    await sdk.shutdown();
  });
});
