import { createSessions, SessionConflictError, TesseraConfigError } from "@tessera/core";
import type { SessionRecord } from "@tessera/core/store";
import { makeRecord, runStoreConformance } from "@tessera/store-test";
import { Cluster, Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisStore } from "../src/index.js";
import {
  dataCommandsPerNode,
  deleteKeysUnder,
  expireTime,
  ownerPort,
  sleep,
  uniquePrefix,
} from "./helpers.js";
import { CI, redisAnswers } from "./servers.js";

const SHARED_PORT = 6379;
const sharedUp = await redisAnswers(SHARED_PORT);
if (!sharedUp) {
  const message = `Redis on 127.0.0.1:${SHARED_PORT} is unreachable: the single-node RedisStore tests cannot run`;
  if (CI) throw new Error(message);
  console.warn(`\n[@tessera/redis] WARNING: ${message}; they are skipped.\n`);
}
const clusterInfo = inject("redisCluster");
const clusterPorts = "ports" in clusterInfo ? clusterInfo.ports : null;

describe.runIf(sharedUp)("RedisStore on a single Redis (127.0.0.1:6379)", () => {
  const prefix = uniquePrefix("single");
  const client = new Redis({ host: "127.0.0.1", port: SHARED_PORT, maxRetriesPerRequest: 1 });
  const store = new RedisStore({ client, prefix });

  afterAll(async () => {
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  runStoreConformance("RedisStore (single node)", () => new RedisStore({ client, prefix }), {
    // Reads the documented key layout directly, not through the store.
    rawRead: (id) => client.get(`${prefix}s:{${id}}`),
  });

  describe("keys and native expiry", () => {
    it("keeps one key per session, expiring natively at the record's expiresAt", async () => {
      const record = makeRecord({ expiresAt: Date.now() + 60_000 });
      await store.create(record);
      const key = `${prefix}s:{${record.id}}`;
      expect(await expireTime(client, key)).toBe(record.expiresAt);
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);

      const extended = { ...record, version: 2, expiresAt: record.expiresAt + 3_600_000 };
      expect(await store.update(extended, 1)).toBe(true);
      expect(await expireTime(client, key)).toBe(extended.expiresAt);
      expect(await client.pttl(key)).toBeGreaterThan(3_600_000);
    });

    it("indexes a user's sessions in one sorted set scored by absolute expiry, expiring with the latest", async () => {
      const userId = `user-${Math.random()}`;
      const now = Date.now();
      const early = makeRecord({
        userId,
        expiresAt: now + 60_000,
        absoluteExpiresAt: now + 90_000,
      });
      const late = makeRecord({
        userId,
        expiresAt: now + 60_000,
        absoluteExpiresAt: now + 120_000,
      });
      await store.create(early);
      await store.create(late);
      const indexKey = `${prefix}u:{${userId}}`;
      expect(await client.zrange(indexKey, 0, -1, "WITHSCORES")).toEqual([
        early.id,
        String(early.absoluteExpiresAt),
        late.id,
        String(late.absoluteExpiresAt),
      ]);
      expect(await expireTime(client, indexKey)).toBe(late.absoluteExpiresAt);

      // An idle extension (what every rotation does) leaves the index alone...
      const extended = { ...early, version: 2, expiresAt: now + 80_000 };
      await store.update(extended, 1);
      expect(Number(await client.zscore(indexKey, early.id))).toBe(early.absoluteExpiresAt);
      // ...and a later absolute end raises the score and, if it becomes the latest, the index's
      // expiry, from this store and from another instance that never wrote the session.
      const other = new RedisStore({ client, prefix });
      const prolonged = { ...extended, version: 3, absoluteExpiresAt: now + 600_000 };
      await other.update(prolonged, 2);
      expect(Number(await client.zscore(indexKey, early.id))).toBe(prolonged.absoluteExpiresAt);
      expect(await expireTime(client, indexKey)).toBe(prolonged.absoluteExpiresAt);
    });

    it("rounds a fractional expiresAt up, so Redis never expires a session early", async () => {
      const record = makeRecord({ expiresAt: Date.now() + 60_000.25 });
      await store.create(record);
      expect(await expireTime(client, `${prefix}s:{${record.id}}`)).toBe(
        Math.ceil(record.expiresAt),
      );
      expect((await store.get(record.id))?.expiresAt).toBe(record.expiresAt);
    });
  });

  describe("index hygiene", () => {
    it("drops a session's index entry when the session is deleted", async () => {
      const record = makeRecord();
      await store.create(record);
      const indexKey = `${prefix}u:{${record.userId}}`;
      expect(await client.zscore(indexKey, record.id)).not.toBeNull();
      await store.delete(record.id);
      expect(await client.zscore(indexKey, record.id)).toBeNull();
      expect(await client.exists(indexKey)).toBe(0);
    });

    it("prunes entries of sessions Redis has expired when the index is next read", async () => {
      const userId = `user-${Math.random()}`;
      const ends = Date.now() + 300;
      const brief = makeRecord({ userId, expiresAt: ends, absoluteExpiresAt: ends });
      const lasting = makeRecord({ userId });
      await store.create(brief);
      await store.create(lasting);
      await sleep(600);
      const indexKey = `${prefix}u:{${userId}}`;
      expect(await client.zcard(indexKey)).toBe(2); // nothing has read the index yet
      expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([lasting.id]);
      expect(await client.zrange(indexKey, 0, -1)).toEqual([lasting.id]);
    });

    it("prunes expired entries when the user logs in again", async () => {
      const userId = `user-${Math.random()}`;
      const ends = Date.now() + 300;
      await store.create(makeRecord({ userId, expiresAt: ends, absoluteExpiresAt: ends }));
      await sleep(600);
      const next = makeRecord({ userId });
      await store.create(next);
      expect(await client.zrange(`${prefix}u:{${userId}}`, 0, -1)).toEqual([next.id]);
    });

    it("lets the whole index expire with the user's last session", async () => {
      const userId = `user-${Math.random()}`;
      const ends = Date.now() + 300;
      await store.create(makeRecord({ userId, expiresAt: ends, absoluteExpiresAt: ends }));
      await sleep(600);
      expect(await client.exists(`${prefix}u:{${userId}}`)).toBe(0);
    });

    it("never lists nor deletes another user's session through an entry left by a refused create", async () => {
      const owner = makeRecord();
      await store.create(owner);
      const intruder = makeRecord({ id: owner.id });
      await expect(store.create(intruder)).rejects.toBeInstanceOf(SessionConflictError);
      expect(await store.listByUser(intruder.userId)).toEqual([]);
      expect(await store.deleteByUser(intruder.userId)).toBe(0);
      expect(await store.get(owner.id)).toEqual(owner);
    });

    it("keeps every surviving session listed when revokeAll races updates and logins", async () => {
      const userId = `user-${Math.random()}`;
      const existing = Array.from({ length: 20 }, () => makeRecord({ userId }));
      await Promise.all(existing.map((record) => store.create(record)));
      const newcomers = Array.from({ length: 10 }, () => makeRecord({ userId }));
      await Promise.all([
        store.deleteByUser(userId),
        ...existing.map((record) =>
          store.update({ ...record, version: 2, expiresAt: record.expiresAt + 60_000 }, 1),
        ),
        ...newcomers.map((record) => store.create(record)),
      ]);
      // revokeAll read the index before any newcomer could be missing from it: every session it
      // saw is gone for good (an update cannot bring one back), and every survivor is listed.
      for (const record of existing) expect(await store.get(record.id)).toBeNull();
      const listed = new Set((await store.listByUser(userId)).map((r) => r.id));
      for (const record of newcomers) {
        if (await store.get(record.id)) expect(listed.has(record.id)).toBe(true);
      }
    });
  });

  describe("prefix and client", () => {
    it("isolates two stores on the same Redis by prefix", async () => {
      const other = new RedisStore({ client, prefix: `${prefix}other:` });
      const record = makeRecord();
      await store.create(record);
      await other.create(record);
      expect(await other.update({ ...record, version: 2, data: { other: true } }, 1)).toBe(true);
      expect((await store.get(record.id))?.data).toEqual(record.data);
      expect(await other.deleteByUser(record.userId)).toBe(1);
      expect(await store.get(record.id)).toEqual(record);
      expect(await store.listByUser(record.userId)).toHaveLength(1);
    });

    it("works on a client that has its own ioredis keyPrefix", async () => {
      const prefixed = new Redis({
        host: "127.0.0.1",
        port: SHARED_PORT,
        keyPrefix: `${prefix}kp:`,
      });
      try {
        const inner = new RedisStore({ client: prefixed });
        const record = makeRecord();
        await inner.create(record);
        expect(await client.exists(`${prefix}kp:tessera:s:{${record.id}}`)).toBe(1);
        expect(await client.exists(`${prefix}kp:tessera:u:{${record.userId}}`)).toBe(1);
        expect(await inner.update({ ...record, version: 2 }, 1)).toBe(true);
        expect(await inner.listByUser(record.userId)).toHaveLength(1);
        expect(await inner.deleteByUser(record.userId)).toBe(1);
        expect(await inner.get(record.id)).toBeNull();
      } finally {
        await prefixed.quit();
      }
    });

    it("uses `tessera:` as the default prefix", () => {
      const plain = new RedisStore({ client });
      expect(plain.sessionKey("abc")).toBe("tessera:s:{abc}");
      expect(plain.indexKey("alice")).toBe("tessera:u:{alice}");
    });

    it("refuses options that are not a client, a string prefix and a timeout", () => {
      expect(() => new RedisStore({} as never)).toThrow(TesseraConfigError);
      expect(() => new RedisStore({ client: {} as never })).toThrow(TesseraConfigError);
      expect(() => new RedisStore({ client, prefix: 3 as never })).toThrow(TesseraConfigError);
      expect(() => new RedisStore({ client, commandTimeout: -1 })).toThrow(TesseraConfigError);
    });

    it("reports a value it cannot read as unavailable, never as a session", async () => {
      const id = "z".repeat(24);
      await client.set(`${prefix}s:{${id}}`, '[99,"from a future version"]', "PX", 60_000);
      await expect(store.get(id)).rejects.toMatchObject({ code: "store-unavailable" });
      await client.set(`${prefix}s:{${id}}`, "not json", "PX", 60_000);
      await expect(store.get(id)).rejects.toMatchObject({ code: "store-unavailable" });
    });

    it("round-trips times that are not whole milliseconds exactly", async () => {
      const base = Date.now() + 0.1;
      const record: SessionRecord = makeRecord({
        createdAt: base,
        authenticatedAt: base + 0.2,
        lastActiveAt: 1e-7,
        rotatedAt: base,
        expiresAt: base + 60_000.3,
      });
      await store.create(record);
      expect(await store.get(record.id)).toEqual(record);
    });
  });
});

describe.runIf(clusterPorts !== null)("RedisStore on a Redis Cluster (3 masters)", () => {
  const ports = clusterPorts ?? [];
  const client = new Cluster(
    ports.map((port) => ({ host: "127.0.0.1", port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  const store = new RedisStore({ client });

  afterAll(async () => {
    await client.quit();
  });

  runStoreConformance("RedisStore (Redis Cluster)", () => new RedisStore({ client }), {
    rawRead: (id) => client.get(`tessera:s:{${id}}`),
  });

  const ownerOf = (key: string) => ownerPort(ports[0]!, key);

  it("puts each session in the slot of its id and the index in the slot of its user, across nodes", async () => {
    const userId = `cluster-user-${Math.random()}`;
    const records = Array.from({ length: 30 }, () => makeRecord({ userId }));
    await Promise.all(records.map((record) => store.create(record)));
    const owners = new Set<number>();
    for (const record of records) {
      const slot = Number(await client.cluster("KEYSLOT", store.sessionKey(record.id)));
      expect(slot).toBe(Number(await client.cluster("KEYSLOT", record.id)));
      owners.add(await ownerOf(store.sessionKey(record.id)));
    }
    const indexSlot = Number(await client.cluster("KEYSLOT", store.indexKey(userId)));
    expect(indexSlot).toBe(Number(await client.cluster("KEYSLOT", userId)));
    // The user's sessions live on every node, apart from their index: list and revokeAll still work.
    expect(owners.size).toBe(ports.length);
    expect(await store.listByUser(userId)).toHaveLength(30);
    expect(await store.deleteByUser(userId, records[0]!.id)).toBe(29);
    expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([records[0]!.id]);
  });

  it("sets native expiry on the node that owns the session", async () => {
    const record = makeRecord({ expiresAt: Date.now() + 90_000 });
    await store.create(record);
    expect(await expireTime(client, store.sessionKey(record.id))).toBe(record.expiresAt);
    expect(await expireTime(client, store.indexKey(record.userId))).toBe(record.absoluteExpiresAt);
  });

  it("rotates with a GET and one script, both on the session's node: the index is left alone", async () => {
    const clock = { now: Date.now() };
    const sessions = createSessions({ store, now: () => clock.now, rotation: { interval: 60 } });
    const { session, token } = await sessions.create({ userId: "cluster-rotation" });
    clock.now += 61_000;
    const first = await sessions.validate(token); // loads the script on the session's node
    expect(first.ok && first.token).toBeTruthy();
    clock.now += 61_000;
    const owner = ports.indexOf(await ownerOf(store.sessionKey(session.id)));
    const commands = await dataCommandsPerNode(ports, async () => {
      const rotated = await sessions.validate(first.ok ? first.token! : "");
      expect(rotated.ok && rotated.token).toBeTruthy();
    });
    // Commandstats also count what the script runs (its GET and SET), all on the session's key.
    commands.forEach((received, i) => {
      expect(received.sort()).toEqual(
        i === owner
          ? [
              ["evalsha", 1],
              ["get", 2],
              ["set", 1],
            ]
          : [],
      );
    });
  });

  it("validates with exactly one command on the cluster: one GET on the session's node", async () => {
    const clock = { now: Date.now() };
    const sessions = createSessions({ store, now: () => clock.now });
    const { session, token } = await sessions.create({ userId: "cluster-hot-path" });
    clock.now += 1000;
    const owner = ports.indexOf(await ownerOf(store.sessionKey(session.id)));
    const commands = await dataCommandsPerNode(ports, async () => {
      expect((await sessions.validate(token)).ok).toBe(true);
    });
    commands.forEach((received, i) => {
      expect(received).toEqual(i === owner ? [["get", 1]] : []);
    });
  });
});

if (!sharedUp || clusterPorts === null) {
  describe.skip("RedisStore suites skipped for a missing server (see the warning above)", () => {
    it("runs against every Redis it needs", () => {});
  });
}
