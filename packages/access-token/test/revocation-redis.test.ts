/**
 * What the signed revocation feed withstands, over the machine's Redis (127.0.0.1:6379, one key
 * prefix per test): someone else writing to the channel or the stream, keys that do not match,
 * a far-future stream id, key rotation, a publisher that goes silent or cannot publish. The
 * verifier's store fallback is an in-process session store, so every store check is counted.
 */
import { createSessions, MemoryStore } from "@tessera/core";
import { connectRedis, dropPrefix, uniquePrefix } from "@tessera/test-kit";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccessTokenJwk,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  type Revocation,
  type RevocationList,
  type RevocationPublisherStatus,
  revocationPublisher,
  sessionRevocation,
  subscribeRevocations,
} from "../src/index.js";
import { redisRevocationFeed } from "../src/redis.js";
import { startProxy } from "./proxy.js";

const ISSUER = "https://auth.example";
const AUDIENCE = "orders";
/** Short heartbeats keep the tests quick: the bound is twice this, 0.4 s. */
const HEARTBEAT = 0.2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds (a generous limit, never a timing assertion). */
async function until(condition: () => boolean, what: string, timeoutMs = 4000) {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(10)) {
    if (condition()) return;
  }
  throw new Error(`never: ${what}`);
}

const admin = await connectRedis();
const cleanup: Array<() => Promise<void> | void> = [];
let count = 0;

describe.runIf(admin !== null)("the signed revocation feed over a real Redis", () => {
  const prefixes: string[] = [];

  beforeAll(() => {
    admin?.on("error", () => {});
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  afterAll(async () => {
    for (const prefix of prefixes) await dropPrefix(admin!, prefix);
    admin?.disconnect();
  });

  /** A client of the test's own, disconnected after the test. */
  function client(options: RedisOptions = {}): Redis {
    const redis = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: 1, ...options });
    redis.on("error", () => {});
    cleanup.push(() => redis.disconnect());
    return redis;
  }

  /** An issuer (sessions, tokens, publisher) and what a verifier needs, on a fresh prefix. */
  async function setup() {
    const prefix = uniquePrefix(`revocations-${++count}`);
    prefixes.push(prefix);
    const revocationKey = await generateSigningKey("HS256");
    const tokens = createAccessTokens({
      keys: [await generateSigningKey()],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const sessions = createSessions({ store: new MemoryStore() });
    const feedOn = (redis: Redis) => redisRevocationFeed({ client: redis, prefix });
    const failures: Array<Revocation | undefined> = [];
    const statuses: RevocationPublisherStatus[] = [];
    const startPublisher = (redis: Redis, keys: AccessTokenJwk[] = [revocationKey]) => {
      const publisher = revocationPublisher({
        feed: feedOn(redis),
        ttl: tokens.ttl,
        keys,
        heartbeatInterval: HEARTBEAT,
        onError: (_, revocation) => failures.push(revocation),
        onStatus: (status) => statuses.push(status),
      });
      cleanup.push(() => publisher.close());
      return publisher;
    };
    let storeChecks = 0;
    const askStore = sessionRevocation(sessions);
    const subscribe = async (redis: Redis, keys: AccessTokenJwk[] = [revocationKey]) => {
      const list = await subscribeRevocations({
        feed: feedOn(redis),
        keys,
        ttl: tokens.ttl,
        isRevoked: (sid, claims) => {
          storeChecks++;
          return askStore(sid, claims);
        },
      });
      cleanup.push(() => list.close());
      const verifier = list.protect(
        createVerifier({ jwks: tokens.jwks(), issuer: ISSUER, audience: AUDIENCE }),
      );
      return { list, verifier };
    };
    const login = async (userId: string) => {
      const { session } = await sessions.create({ userId });
      return { session, token: await tokens.issue(session) };
    };
    /** Ends a session the way the issuer does: its event goes to `publish`. */
    const revoke = (publish: (event: never) => void, sessionId: string) =>
      publish({ type: "session.revoked", sessionId, userId: "u", at: new Date() } as never);
    return {
      prefix,
      logKey: `${prefix}{log}`,
      channel: `${prefix}{log}:live`,
      revocationKey,
      sessions,
      startPublisher,
      subscribe,
      login,
      revoke,
      failures,
      statuses,
      storeChecks: () => storeChecks,
    };
  }

  const live = (list: RevocationList) => () => list.status === "live";

  it("ignores a forged unsigned revocation, on the channel or in the stream", async () => {
    const world = await setup();
    const publisher = world.startPublisher(client());
    await publisher.settled();
    const { list, verifier } = await world.subscribe(client());
    await until(live(list), "the verifier is live");
    const alice = await world.login("alice");
    const forged = JSON.stringify({
      sessionIds: [alice.session.id],
      revokedAt: Date.now(),
      until: Date.now() + 300_000,
    });
    await admin!.publish(world.channel, forged);
    await admin!.xadd(world.logKey, "*", "r", forged);
    await until(() => list.rejected.unsigned === 1, "the live forgery is refused");
    expect(list.denies(alice.session.id)).toBe(false);
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    expect(world.storeChecks()).toBe(0);
    // A verifier starting now reads the forgery from the stream, and refuses it too.
    const later = await world.subscribe(client());
    expect(later.list.rejected.unsigned).toBe(1);
    expect(later.list.denies(alice.session.id)).toBe(false);
  });

  it("ignores a revocation signed with the wrong secret or an unknown key id", async () => {
    const world = await setup();
    const publisher = world.startPublisher(client());
    await publisher.settled();
    const { list, verifier } = await world.subscribe(client());
    await until(live(list), "the verifier is live");
    const alice = await world.login("alice");
    const sameKid = await generateSigningKey("HS256", { kid: world.revocationKey.kid });
    const otherKid = await generateSigningKey("HS256");
    for (const key of [sameKid, otherKid]) {
      const impostor = world.startPublisher(client(), [key]);
      world.revoke(impostor, alice.session.id);
      await impostor.settled();
    }
    await until(
      () => list.rejected["bad-signature"] >= 2 && list.rejected["unknown-key"] >= 2,
      "the impostors' hello and revocation are refused",
    );
    expect(list.denies(alice.session.id)).toBe(false);
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    // The real publisher still revokes.
    world.revoke(publisher, alice.session.id);
    await until(() => list.denies(alice.session.id), "the real revocation arrives");
  });

  it("cannot be made to skip real revocations by a far-future stream id", async () => {
    const world = await setup();
    const publisher = world.startPublisher(client());
    await publisher.settled();
    const proxy = await startProxy(() => 6379);
    cleanup.push(() => proxy.cut());
    const verifierClient = client({ port: proxy.port });
    const { list } = await world.subscribe(verifierClient);
    await until(live(list), "the verifier is live");
    // The old wire format put the stream id first; a verifier that believed it would read the
    // log from there after its next reconnection. And a stream entry under a future id.
    const signed = await (async () => {
      const read = await admin!.xrange(world.logKey, "-", "+");
      return read.at(-1)![1][1]!;
    })();
    await admin!.publish(world.channel, `99999999999999-0 ${signed}`);
    await admin!.xadd(world.logKey, "99999999999990-0", "r", "junk");
    await until(() => list.rejected.unsigned === 1, "the channel forgery is refused");

    const alice = await world.login("alice");
    await proxy.cut();
    await until(() => list.reason === "feed-lost", "the verifier notices the cut");
    world.revoke(publisher, alice.session.id);
    await publisher.settled();
    expect(world.failures).toEqual([]);
    await proxy.restore();
    await until(() => list.denies(alice.session.id), "the revocation is read from the log");
    await until(live(list), "the verifier is live again");
    // The catch-up read the future-id entry too (refused), and the revocation after it.
    expect(list.rejected.unsigned).toBe(2);
    expect(world.storeChecks()).toBe(0);
  });

  it("accepts the old key during a rotation, and refuses it once retired", async () => {
    const world = await setup();
    const oldKey = world.revocationKey;
    const newKey = await generateSigningKey("HS256");
    // Step 1: verifiers hold both; the issuer still signs with the old key.
    const during = await world.subscribe(client(), [oldKey, newKey]);
    const before = world.startPublisher(client(), [oldKey]);
    const alice = await world.login("alice");
    world.revoke(before, alice.session.id);
    await until(() => during.list.denies(alice.session.id), "old-key revocation accepted");
    // Step 2: the issuer signs with the new key.
    const after = world.startPublisher(client(), [newKey, oldKey]);
    const bob = await world.login("bob");
    world.revoke(after, bob.session.id);
    await until(() => during.list.denies(bob.session.id), "new-key revocation accepted");
    expect(during.list.rejected).toEqual({
      unsigned: 0,
      "unknown-key": 0,
      "bad-signature": 0,
      malformed: 0,
    });
    await before.close();
    // Step 3: the old key retired at a verifier: what it signed is refused.
    const retired = await world.subscribe(client(), [newKey]);
    expect(retired.list.rejected["unknown-key"]).toBeGreaterThan(0);
    expect(retired.list.denies(alice.session.id)).toBe(false);
    expect(retired.list.denies(bob.session.id)).toBe(true);
    const carol = await world.login("carol");
    world.revoke(after, carol.session.id);
    await until(() => retired.list.denies(carol.session.id), "new-key revocation accepted");
  });

  it("falls back to the store when the publisher goes silent, and is live again once its heartbeat resumes", async () => {
    const world = await setup();
    // No offline queue: while disconnected every publish fails at once.
    const issuerClient = client({ enableOfflineQueue: false });
    const publisher = world.startPublisher(issuerClient);
    await publisher.settled();
    const { list, verifier } = await world.subscribe(client());
    await until(live(list), "the verifier is live");
    const alice = await world.login("alice");
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    expect(world.storeChecks()).toBe(0);

    issuerClient.disconnect();
    await until(() => list.reason === "publisher-silent", "the verifier notices the silence");
    await until(() => publisher.status === "failing", "the publisher notices its failure");
    // The store decides meanwhile: a session ended in it is refused at once.
    await world.sessions.revoke(alice.session.id);
    expect(await verifier.verify(alice.token)).toEqual({ ok: false, reason: "revoked" });
    expect(world.storeChecks()).toBe(1);

    await issuerClient.connect();
    await until(() => publisher.status === "healthy", "the publisher publishes again");
    await until(live(list), "the verifier trusts the feed again");
    const bob = await world.login("bob");
    const checks = world.storeChecks();
    expect((await verifier.verify(bob.token)).ok).toBe(true);
    expect(world.storeChecks()).toBe(checks);
  });

  it("surfaces a publish refused on a killed connection, and verifiers ask the store until the tokens concerned expire", async () => {
    const world = await setup();
    const name = `${world.prefix}issuer`.replace(/[^\w-]/g, "-");
    const issuerClient = client({ connectionName: name, retryStrategy: () => null });
    const publisher = world.startPublisher(issuerClient);
    await publisher.settled();
    const { list, verifier } = await world.subscribe(client());
    await until(live(list), "the verifier is live");
    const alice = await world.login("alice");

    const clients = (await admin!.client("LIST")) as string;
    const id = /id=(\d+) .*name=(\S+)/
      .exec(clients.split("\n").find((line) => line.includes(`name=${name} `)) ?? "")
      ?.at(1);
    expect(id).toBeDefined();
    await admin!.client("KILL", "ID", id!);
    await until(() => issuerClient.status === "end", "the issuer's connection is gone");

    await world.sessions.revoke(alice.session.id);
    world.revoke(publisher, alice.session.id);
    await publisher.settled();
    expect(publisher.status).toBe("failing");
    expect(world.statuses).toContain("failing");
    expect(world.failures.at(-1)?.sessionIds).toEqual([alice.session.id]);
    await until(() => list.reason === "publisher-silent", "the verifier notices the silence");
    expect(await verifier.verify(alice.token)).toEqual({ ok: false, reason: "revoked" });

    // Back on a new connection: its next heartbeat shows the revocation count jumped.
    await issuerClient.connect();
    await until(() => list.reason === "missed-revocation", "the verifier sees the missed one");
    const bob = await world.login("bob");
    const checks = world.storeChecks();
    expect((await verifier.verify(bob.token)).ok).toBe(true);
    expect(world.storeChecks()).toBe(checks + 1);
  });
});
