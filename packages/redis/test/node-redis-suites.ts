/**
 * The RedisStore suites on node-redis, for each major of `redis` the package supports: the
 * conformance suite on the shared single Redis and on the local Redis Cluster (from
 * global-setup.ts), and what differs from ioredis (cluster routing, the one-GET hot path).
 */
import { createSessions } from "@tessera/core";
import { makeRecord, runStoreConformance } from "@tessera/store-test";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type NodeRedisClient, RedisStore } from "../src/index.js";
import {
  dataCommandsPerNode,
  deleteKeysUnder,
  expireTime,
  ownerPort,
  uniquePrefix,
} from "./helpers.js";
import { CI, redisAnswers } from "./servers.js";

/**
 * A node-redis client or cluster as the tests drive it: the store's `NodeRedisClient` (so this
 * also checks that the real `redis` types fit the store's option) plus connecting and closing.
 */
type Client = NodeRedisClient & {
  on(event: "error", listener: (error: Error) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
};

/** `createClient` and `createCluster` of one major of `redis`. */
export interface NodeRedisModule {
  createClient(options: { url: string }): Client;
  createCluster(options: { rootNodes: { url: string }[] }): Client;
}

export async function nodeRedisSuites(label: string, redis: NodeRedisModule): Promise<void> {
  const sharedUp = await redisAnswers(6379);
  if (!sharedUp) {
    const message = "Redis on 127.0.0.1:6379 is unreachable: the node-redis tests cannot run";
    if (CI) throw new Error(message);
    console.warn(`\n[@tessera/redis] WARNING: ${message}; they are skipped.\n`);
  }
  const clusterInfo = inject("redisCluster");
  const ports = "ports" in clusterInfo ? clusterInfo.ports : null;

  describe.runIf(sharedUp)(`RedisStore on node-redis ${label}, single Redis`, () => {
    const prefix = uniquePrefix(`node-redis-${label}`);
    let client: Client;
    beforeAll(async () => {
      client = redis.createClient({ url: "redis://127.0.0.1:6379" });
      client.on("error", () => {});
      await client.connect();
    });
    afterAll(async () => {
      client.destroy();
      const cleaner = new Redis({ host: "127.0.0.1", port: 6379 });
      await deleteKeysUnder(cleaner, prefix);
      await cleaner.quit();
    });

    // Each test's store under a prefix of its own (epochs apply to a whole prefix).
    let stores = 0;
    let current: RedisStore;
    runStoreConformance(
      `RedisStore (node-redis ${label}, single node)`,
      () => {
        current = new RedisStore({ client, prefix: `${prefix}${++stores}:` });
        return current;
      },
      { rawRead: (id) => client.get(current.sessionKey(id)) },
    );

    it("writes the same keys, values and native expiry as the store on ioredis", async () => {
      const viaNodeRedis = new RedisStore({ client, prefix });
      const ioredis = new Redis({ host: "127.0.0.1", port: 6379 });
      try {
        const viaIoredis = new RedisStore({ client: ioredis, prefix });
        const record = makeRecord({ expiresAt: Date.now() + 60_000 });
        await viaNodeRedis.create(record);
        expect(await expireTime(ioredis, viaNodeRedis.sessionKey(record.id))).toBe(
          record.expiresAt,
        );
        expect(await viaIoredis.get(record.id)).toEqual(record);
        const next = { ...record, version: 2, data: { role: "admin" } };
        expect(await viaIoredis.update(next, 1)).toBe(true);
        expect(await viaNodeRedis.get(record.id)).toEqual(next);
        expect(await viaNodeRedis.listByUser(record.userId)).toEqual([next]);
      } finally {
        await ioredis.quit();
      }
    });
  });

  describe.runIf(ports !== null)(`RedisStore on node-redis ${label}, Redis Cluster`, () => {
    const clusterPorts = ports ?? [];
    let cluster: Client;
    beforeAll(async () => {
      cluster = redis.createCluster({
        rootNodes: clusterPorts.map((port) => ({ url: `redis://127.0.0.1:${port}` })),
      });
      cluster.on("error", () => {});
      await cluster.connect();
    });
    afterAll(() => cluster.destroy());

    let stores = 0;
    let current: RedisStore;
    runStoreConformance(
      `RedisStore (node-redis ${label}, Redis Cluster)`,
      () => {
        current = new RedisStore({ client: cluster, prefix: `tessera-nr${label}-${++stores}:` });
        return current;
      },
      { rawRead: (id) => cluster.get(current.sessionKey(id)) },
    );

    it("lists and revokes a user's sessions spread over every node", async () => {
      const store = new RedisStore({ client: cluster });
      const userId = `node-redis-cluster-user-${Math.random()}`;
      const records = Array.from({ length: 30 }, () => makeRecord({ userId }));
      await Promise.all(records.map((record) => store.create(record)));
      const owners = new Set(
        await Promise.all(
          records.map((record) => ownerPort(clusterPorts[0]!, store.sessionKey(record.id))),
        ),
      );
      expect(owners.size).toBe(clusterPorts.length);
      expect(await store.listByUser(userId)).toHaveLength(30);
      expect(await store.deleteByUser(userId, records[0]!.id)).toBe(29);
      expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([records[0]!.id]);
    });

    it("validates with exactly one command on the cluster, the global epoch included: one MGET on the session's node", async () => {
      const store = new RedisStore({ client: cluster, prefix: `tessera-nr${label}-hot:` });
      const clock = { now: Date.now() };
      const sessions = createSessions({ store, now: () => clock.now });
      const { session, token } = await sessions.create({ userId: "node-redis-hot-path" });
      await store.raiseEpoch(null, session.createdAt.getTime() - 1);
      clock.now += 1000;
      const owner = clusterPorts.indexOf(
        await ownerPort(clusterPorts[0]!, store.sessionKey(session.id)),
      );
      const commands = await dataCommandsPerNode(clusterPorts, async () => {
        expect((await sessions.validate(token)).ok).toBe(true);
      });
      commands.forEach((received, i) => {
        expect(received).toEqual(i === owner ? [["mget", 1]] : []);
      });
      expect((await store.getWithEpochs(session.id))?.epochs).toEqual({
        global: session.createdAt.getTime() - 1,
        user: 0,
      });
    });
  });

  if (!sharedUp || ports === null) {
    describe.skip(`node-redis ${label} suites skipped for a missing server (see the warning)`, () => {
      it("runs against every Redis it needs", () => {});
    });
  }
}
