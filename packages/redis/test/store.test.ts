import { createSessions, SessionConflictError, TesseraConfigError } from "@tessera/core";
import type { SessionRecord } from "@tessera/core/store";
import { makeRecord, runStoreConformance } from "@tessera/store-test";
import { Cluster, Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { userTag } from "../src/store.js";
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

/**
 * The store contract through `client`, each test's store under a prefix of its own (`prefix` and
 * a counter; epochs apply to a whole prefix); the raw read takes the session's key directly.
 */
function conformanceThrough(label: string, client: Redis | Cluster, prefix: string): void {
  let stores = 0;
  let current: RedisStore;
  runStoreConformance(
    label,
    () => {
      current = new RedisStore({ client, prefix: `${prefix}${++stores}:` });
      return current;
    },
    { rawRead: (id) => client.get(current.sessionKey(id)) },
  );
}

describe.runIf(sharedUp)("RedisStore on a single Redis (127.0.0.1:6379)", () => {
  const prefix = uniquePrefix("single");
  const client = new Redis({ host: "127.0.0.1", port: SHARED_PORT, maxRetriesPerRequest: 1 });
  const store = new RedisStore({ client, prefix });

  afterAll(async () => {
    await deleteKeysUnder(client, prefix);
    await client.quit();
  });

  conformanceThrough("RedisStore (single node)", client, prefix);

  /** The user's entries in their index bucket, as [session id, end] pairs. */
  async function entries(userId: string): Promise<[string, number][]> {
    const tag = userTag(userId);
    const members = await client.zrangebylex(store.indexKey(userId), `[${tag}`, `(${tag}~`);
    return members.map((m) => [m.slice(17), Number.parseInt(m.slice(8, 17), 36)]);
  }

  describe("keys and native expiry", () => {
    it("keeps one key per session, expiring natively at the record's expiresAt", async () => {
      const record = makeRecord({ expiresAt: Date.now() + 60_000 });
      await store.create(record);
      const key = store.sessionKey(record.id);
      expect(key).toMatch(new RegExp(`^${prefix}\\{[0-9a-f]{2}\\}s:${record.id}$`));
      expect(await expireTime(client, key)).toBe(record.expiresAt);
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);

      const extended = { ...record, version: 2, expiresAt: record.expiresAt + 3_600_000 };
      expect(await store.update(extended, 1)).toBe(true);
      expect(await expireTime(client, key)).toBe(extended.expiresAt);
      expect(await client.pttl(key)).toBeGreaterThan(3_600_000);
    });

    it("indexes a user's sessions in a shared bucket by absolute end; the bucket outlives its latest entry", async () => {
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
      const indexKey = store.indexKey(userId);
      expect(indexKey).toMatch(new RegExp(`^${prefix}u\\{[0-9a-f]{4}\\}$`));
      expect((await entries(userId)).sort((x, y) => x[1] - y[1])).toEqual([
        [early.id, early.absoluteExpiresAt],
        [late.id, late.absoluteExpiresAt],
      ]);
      expect(await expireTime(client, indexKey)).toBeGreaterThanOrEqual(late.absoluteExpiresAt);

      // An idle extension (what every rotation does) leaves the index alone...
      const extended = { ...early, version: 2, expiresAt: now + 80_000 };
      await store.update(extended, 1);
      expect((await entries(userId)).filter(([id]) => id === early.id)).toEqual([
        [early.id, early.absoluteExpiresAt],
      ]);
      // ...and a later absolute end adds an entry that late, before the session is written.
      const other = new RedisStore({ client, prefix });
      const prolonged = { ...extended, version: 3, absoluteExpiresAt: now + 600_000 };
      expect(await other.update(prolonged, 2)).toBe(true);
      expect(await store.get(early.id)).toEqual(prolonged);
      expect((await entries(userId)).map(([, end]) => end)).toContain(prolonged.absoluteExpiresAt);
      expect(await expireTime(client, indexKey)).toBeGreaterThanOrEqual(
        prolonged.absoluteExpiresAt,
      );
      expect((await store.listByUser(userId)).map((r) => r.id).sort()).toEqual(
        [early.id, late.id].sort(),
      );
    });

    it("keeps a guest out of every index, and indexes it when it logs in", async () => {
      const guest = makeRecord({ userId: null });
      await store.create(guest);
      expect(await store.get(guest.id)).toEqual(guest);
      const userId = `user-${Math.random()}`;
      expect(await entries(userId)).toEqual([]);
      const loggedIn = { ...guest, version: 2, userId };
      expect(await store.update(loggedIn, 1)).toBe(true);
      expect((await entries(userId)).map(([id]) => id)).toEqual([guest.id]);
      expect(await store.listByUser(userId)).toEqual([loggedIn]);
    });

    it("rounds a fractional expiresAt up, so Redis never expires a session early", async () => {
      const record = makeRecord({ expiresAt: Date.now() + 60_000.25 });
      await store.create(record);
      expect(await expireTime(client, store.sessionKey(record.id))).toBe(
        Math.ceil(record.expiresAt),
      );
      expect((await store.get(record.id))?.expiresAt).toBe(record.expiresAt);
    });

    it("stores a fresh session's value in under 125 bytes (a 128-byte allocation)", async () => {
      const now = Date.now();
      const record = makeRecord({
        userId: "user-123456",
        createdAt: now,
        authenticatedAt: now,
        freshUntil: now + 600_000,
        lastActiveAt: now,
        rotatedAt: now,
        expiresAt: now + 604_800_000,
        absoluteExpiresAt: now + 2_592_000_000,
        previousSecretHash: null,
        rotationNonce: null,
        retiredSecretHashes: [],
        data: {},
        client: { ip: "198.51.100.23", ua: "safari/17/macos" },
      });
      await store.create(record);
      expect(await client.strlen(store.sessionKey(record.id))).toBeLessThanOrEqual(124);
      expect(await store.get(record.id)).toEqual(record);
    });
  });

  describe("index hygiene", () => {
    it("drops a session's index entry when the session is deleted", async () => {
      const record = makeRecord();
      await store.create(record);
      expect((await entries(record.userId!)).map(([id]) => id)).toEqual([record.id]);
      await store.delete(record.id);
      expect(await entries(record.userId!)).toEqual([]);
    });

    it("prunes entries of sessions Redis has expired when the index is next read", async () => {
      const userId = `user-${Math.random()}`;
      const ends = Date.now() + 300;
      const brief = makeRecord({ userId, expiresAt: ends, absoluteExpiresAt: ends });
      const lasting = makeRecord({ userId });
      await store.create(brief);
      await store.create(lasting);
      await sleep(600);
      expect(await entries(userId)).toHaveLength(2); // nothing has read the index yet
      expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([lasting.id]);
      expect((await entries(userId)).map(([id]) => id)).toEqual([lasting.id]);
    });

    it("prunes expired entries when the user logs in again", async () => {
      const userId = `user-${Math.random()}`;
      const ends = Date.now() + 300;
      await store.create(makeRecord({ userId, expiresAt: ends, absoluteExpiresAt: ends }));
      await sleep(600);
      const next = makeRecord({ userId });
      await store.create(next);
      expect((await entries(userId)).map(([id]) => id)).toEqual([next.id]);
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
        expect(await client.exists(`${prefix}kp:${inner.sessionKey(record.id)}`)).toBe(1);
        expect(await client.exists(`${prefix}kp:${inner.indexKey(record.userId!)}`)).toBe(1);
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
      expect(plain.sessionKey("abc")).toMatch(/^tessera:\{[0-9a-f]{2}\}s:abc$/);
      expect(plain.indexKey("alice")).toMatch(/^tessera:u\{[0-9a-f]{4}\}$/);
      expect(plain.userEpochKey("alice")).toBe("tessera:e:alice");
    });

    it("refuses options that are not a client, a string prefix and a timeout", () => {
      expect(() => new RedisStore({} as never)).toThrow(TesseraConfigError);
      expect(() => new RedisStore({ client: {} as never })).toThrow(TesseraConfigError);
      expect(() => new RedisStore({ client, prefix: 3 as never })).toThrow(TesseraConfigError);
      expect(() => new RedisStore({ client, commandTimeout: -1 })).toThrow(TesseraConfigError);
    });

    it("reports a value it cannot read as unavailable, never as a session", async () => {
      const id = "z".repeat(24);
      const key = store.sessionKey(id);
      await client.set(key, "9\u001ffrom a future version", "PX", 60_000);
      await expect(store.get(id)).rejects.toMatchObject({ code: "store-unavailable" });
      // Format 1 (JSON arrays, before 0.2): read as unavailable, not as a session.
      await client.set(key, '[1,"u",1,"h",0,0,[],{},1,0,0,0,0,60000,60000]', "PX", 60_000);
      await expect(store.get(id)).rejects.toMatchObject({ code: "store-unavailable" });
      await client.set(key, "not a session", "PX", 60_000);
      await expect(store.get(id)).rejects.toMatchObject({ code: "store-unavailable" });
    });

    it("swaps, lists and revokes by owners the scripts compare as stored (quotes, separators, ~times)", async () => {
      for (const userId of [`"quoted\u001fuser`, "ünïcode user", "~1"]) {
        const created = Date.now() + 0.5;
        const record = makeRecord({
          userId,
          createdAt: created,
          absoluteExpiresAt: created + 3_600_000.25,
        });
        await store.create(record);
        const rotated = { ...record, version: 2, secretHash: "s".repeat(43) };
        expect(await store.update(rotated, 1)).toBe(true);
        expect(await store.update({ ...rotated, version: 3 }, 1)).toBe(false);
        const later = { ...rotated, version: 3, absoluteExpiresAt: created + 7_200_000 };
        expect(await store.update(later, 2)).toBe(true);
        expect(await store.listByUser(userId)).toEqual([later]);
        expect(await store.deleteByUser(`${userId}x`)).toBe(0);
        expect(await store.deleteByUser(userId)).toBe(1);
        expect(await store.get(record.id)).toBeNull();
      }
    });

    it("sweeps ended entries of users who never come back when others write to the bucket", async () => {
      // Two users in one bucket: find a second user id hashed to the first one's bucket.
      const gone = `gone-${Math.random()}`;
      let other = "";
      for (let i = 0; other === ""; i++) {
        if (store.indexKey(`other-${i}`) === store.indexKey(gone)) other = `other-${i}`;
      }
      await store.create(makeRecord({ userId: other })); // keeps the bucket
      const ends = Date.now() + 200;
      await store.create(makeRecord({ userId: gone, expiresAt: ends, absoluteExpiresAt: ends }));
      await sleep(400);
      expect(await entries(gone)).toHaveLength(1);
      // Each write checks three random entries: a few writes find the one there is.
      for (let i = 0; i < 5 && (await entries(gone)).length > 0; i++) {
        await store.create(makeRecord({ userId: other }));
      }
      expect(await entries(gone)).toEqual([]);
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

// ioredis batches the commands of one event-loop turn into one write when asked to (the README
// suggests it for busy servers): the whole contract again, through such clients.
describe.runIf(sharedUp)(
  "RedisStore through ioredis with enableAutoPipelining (single node)",
  () => {
    const prefix = uniquePrefix("autopipe");
    const client = new Redis({
      host: "127.0.0.1",
      port: SHARED_PORT,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });

    afterAll(async () => {
      await deleteKeysUnder(client, prefix);
      await client.quit();
    });

    conformanceThrough("RedisStore (single node, auto-pipelining)", client, prefix);
  },
);

describe.runIf(clusterPorts !== null)(
  "RedisStore through ioredis with enableAutoPipelining (Redis Cluster)",
  () => {
    const client = new Cluster(
      (clusterPorts ?? []).map((port) => ({ host: "127.0.0.1", port })),
      { redisOptions: { maxRetriesPerRequest: 1 }, enableAutoPipelining: true },
    );

    afterAll(async () => {
      await client.quit();
    });

    conformanceThrough("RedisStore (Redis Cluster, auto-pipelining)", client, "tessera-cap");
  },
);

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

  conformanceThrough("RedisStore (Redis Cluster)", client, "tessera-c");

  const ownerOf = (key: string) => ownerPort(ports[0]!, key);

  it("puts each session in its shard's slot with that shard's epoch copy, and the index in its bucket's slot", async () => {
    const userId = `cluster-user-${Math.random()}`;
    const records = Array.from({ length: 30 }, () => makeRecord({ userId }));
    await Promise.all(records.map((record) => store.create(record)));
    const owners = new Set<number>();
    const slotOf = async (key: string) => Number(await client.cluster("KEYSLOT", key));
    for (const record of records) {
      const key = store.sessionKey(record.id);
      const shard = /\{([0-9a-f]{2})\}/.exec(key)![1]!;
      expect(await slotOf(key)).toBe(await slotOf(shard));
      expect(await slotOf(store.globalEpochKey(record.id))).toBe(await slotOf(key));
      owners.add(await ownerOf(key));
    }
    const bucket = /u\{([0-9a-f]{4})\}$/.exec(store.indexKey(userId))![1]!;
    expect(await slotOf(store.indexKey(userId))).toBe(await slotOf(bucket));
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
    expect(await expireTime(client, store.indexKey(record.userId!))).toBeGreaterThanOrEqual(
      record.absoluteExpiresAt,
    );
  });

  it("rotates with the hot read and one script, both on the session's node: the index is left alone", async () => {
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
              ["get", 1],
              ["mget", 1],
              ["set", 1],
            ]
          : [],
      );
    });
  });

  // Epochs apply to every session under a prefix: these tests raise them under a prefix of their own.
  const epochStore = new RedisStore({ client, prefix: uniquePrefix("cluster-epochs") });

  it("validates with exactly one command on the cluster, the global epoch included: one MGET on the session's node", async () => {
    const clock = { now: Date.now() };
    const store = epochStore;
    const sessions = createSessions({ store, now: () => clock.now });
    const { session, token } = await sessions.create({ userId: "cluster-hot-path" });
    // A global epoch is in force (earlier than the session): the hot read still reads it.
    await epochStore.raiseEpoch(null, session.createdAt.getTime() - 1);
    clock.now += 1000;
    const owner = ports.indexOf(await ownerOf(store.sessionKey(session.id)));
    const commands = await dataCommandsPerNode(ports, async () => {
      expect((await sessions.validate(token)).ok).toBe(true);
    });
    commands.forEach((received, i) => {
      expect(received).toEqual(i === owner ? [["mget", 1]] : []);
    });
    const read = await store.getWithEpochs(session.id);
    expect(read?.epochs.global).toBe(session.createdAt.getTime() - 1);
    expect(read?.epochs.user).toBe(0);
  });

  it("kills every earlier session on every node when the global epoch passes them", async () => {
    const clock = { now: Date.now() };
    const store = epochStore;
    const sessions = createSessions({ store, now: () => clock.now });
    const made = await Promise.all(
      Array.from({ length: 24 }, (_, i) => sessions.create({ userId: `epoch-user-${i}` })),
    );
    const owners = new Set(
      await Promise.all(made.map(({ session }) => ownerOf(store.sessionKey(session.id)))),
    );
    expect(owners.size).toBe(ports.length);
    clock.now += 1000;
    await sessions.revokeIssuedBefore(new Date(clock.now));
    expect((await store.readEpochs(null)).global).toBe(clock.now);
    for (const { token } of made) expect((await sessions.validate(token)).ok).toBe(false);
    const after = await sessions.create({ userId: "epoch-user-after" });
    clock.now += 1000;
    expect((await sessions.validate(after.token)).ok).toBe(true);
  });
});

if (!sharedUp || clusterPorts === null) {
  describe.skip("RedisStore suites skipped for a missing server (see the warning above)", () => {
    it("runs against every Redis it needs", () => {});
  });
}
