/**
 * The one-time `maxmemory-policy` check, against redis-servers of this file's own (the policy is
 * a startup argument there; the shared server is never reconfigured): a policy that may evict
 * sessions is reported once, `noeviction` is not, and a server that refuses `CONFIG` (as managed
 * Redis often does) is neither reported nor failed.
 */
import { TesseraConfigError } from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { RedisStore } from "../src/index.js";
import {
  CI,
  makeTempDir,
  REDIS_SERVER,
  type RedisProcess,
  redisBinariesPresent,
  removeTempDir,
  startRedis,
  stopRedis,
} from "./servers.js";

const present = redisBinariesPresent();
if (!present) {
  const message = `${REDIS_SERVER} is not installed: the eviction-policy tests cannot start their own Redis`;
  if (CI) throw new Error(message);
  console.warn(`\n[@tessera/redis] WARNING: ${message}; they are skipped.\n`);
}

/** A CONFIG-less default user, as a managed Redis gives you. */
const NO_CONFIG = ["--user", "default", "on", "nopass", "~*", "&*", "+@all", "-config"];

describe.runIf(present)("the maxmemory-policy warning", () => {
  const dir = present ? makeTempDir("policy") : "";
  const servers: RedisProcess[] = [];
  const clients: Redis[] = [];
  const start = async (...extra: string[]) => {
    const server = await startRedis({ dir, extra });
    servers.push(server);
    const client = new Redis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: 1 });
    clients.push(client);
    return { server, client };
  };
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map(stopRedis));
    removeTempDir(dir);
  });

  /** A store on `client` with its warnings collected, used three times. */
  const used = async (client: Redis) => {
    const onWarning = vi.fn();
    const store = new RedisStore({ client, onWarning });
    const record = makeRecord({ userId: "alice" });
    await store.create(record);
    expect(await store.get(record.id)).toMatchObject({ id: record.id });
    await store.delete(record.id);
    return onWarning;
  };

  it.each(["allkeys-lru", "volatile-ttl", "allkeys-random"])(
    "warns once, on first use, when the policy is %s",
    async (policy) => {
      const { client } = await start("--maxmemory-policy", policy);
      const onWarning = await used(client);
      await vi.waitFor(() => expect(onWarning).toHaveBeenCalledTimes(1));
      expect(onWarning.mock.calls[0]![0]).toContain(`maxmemory-policy ${policy}`);
      expect(onWarning.mock.calls[0]![0]).toContain("noeviction");
      await new RedisStore({ client, onWarning }).get("x".repeat(24)); // a second store warns too
      await vi.waitFor(() => expect(onWarning).toHaveBeenCalledTimes(2));
    },
  );

  it("says nothing under noeviction, nor when CONFIG is refused, and the store works", async () => {
    const evicting = await start("--maxmemory-policy", "allkeys-lru");
    const quiet = await start("--maxmemory-policy", "noeviction");
    const locked = await start("--maxmemory-policy", "allkeys-lru", ...NO_CONFIG);
    await expect(locked.client.config("GET", "maxmemory-policy")).rejects.toThrow(/NOPERM/);
    const [loud, silent, refused] = await Promise.all(
      [evicting, quiet, locked].map(({ client }) => used(client)),
    );
    // The check on the evicting server answered: the others, asked at the same time, have too.
    await vi.waitFor(() => expect(loud).toHaveBeenCalledTimes(1));
    await quiet.client.ping();
    await locked.client.ping();
    expect(silent).not.toHaveBeenCalled();
    expect(refused).not.toHaveBeenCalled();
  });

  it("asks through node-redis too", async () => {
    const { server } = await start("--maxmemory-policy", "volatile-lru");
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await client.connect();
    try {
      const onWarning = vi.fn();
      const store = new RedisStore({ client, onWarning });
      await store.get("x".repeat(24));
      await vi.waitFor(() => expect(onWarning).toHaveBeenCalledTimes(1));
      expect(onWarning.mock.calls[0]![0]).toContain("maxmemory-policy volatile-lru");
    } finally {
      client.destroy();
    }
  });

  it("refuses an onWarning that is not a function", () => {
    const client = new Redis({ lazyConnect: true });
    clients.push(client);
    expect(() => new RedisStore({ client, onWarning: "log" as never })).toThrow(TesseraConfigError);
  });

  it("never lets a throwing hook break a store call", async () => {
    const { client } = await start("--maxmemory-policy", "allkeys-lru");
    const onWarning = vi.fn(() => {
      throw new Error("hook failed");
    });
    const store = new RedisStore({ client, onWarning });
    const record = makeRecord({ userId: "bob" });
    await store.create(record);
    await vi.waitFor(() => expect(onWarning).toHaveBeenCalledTimes(1));
    expect(await store.get(record.id)).toMatchObject({ id: record.id });
  });
});
