/**
 * The two ends of revocation push, in one process: what the issuer signs and publishes for each
 * way a session ends, which messages a verifier accepts (signature, key id, sequence), and how its
 * deny-list answers when the feed is live, lost, silent, missing a revocation, overflowing or told
 * about a revoke-all without ids. The Redis transport is tested over real connections in
 * revocation-redis.test.ts and revocation-push.test.ts.
 */
import { createSessions, MemoryStore, StoreUnavailableError } from "@tessera/core";
import { switchableStore } from "@tessera/test-kit";
import { describe, expect, it } from "vitest";
import {
  type AccessTokenJwk,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  type RevocationFeed,
  type RevocationListener,
  type RevocationRejectReason,
  revocationPublisher,
  sessionRevocation,
  subscribeRevocations,
} from "../src/index.js";
import { type RevocationMessage, readRevocationKeys } from "../src/revocation-message.js";

const ISSUER = "https://auth.example";
const AUDIENCE = "orders";

/** A feed inside one process: what is published reaches every listener; `status` plays the link. */
class LocalFeed implements RevocationFeed {
  readonly published: string[] = [];
  readonly listeners = new Set<RevocationListener>();
  failing = false;

  async publish(message: string) {
    if (this.failing) throw new Error("feed down");
    this.published.push(message);
    for (const listener of this.listeners) listener.message(message);
  }

  async subscribe(listener: RevocationListener) {
    this.listeners.add(listener);
    for (const message of this.published) listener.message(message);
    listener.status("live");
    return { close: async () => void this.listeners.delete(listener) };
  }

  /** Delivers `message` to the listeners without logging it (anyone writing to the channel). */
  inject(message: string) {
    for (const listener of this.listeners) listener.message(message);
  }

  status(state: "live" | "lost") {
    for (const listener of this.listeners) listener.status(state);
  }
}

/** The revocations (decoded) a feed carried, heartbeats left out. */
async function revocationsOn(feed: LocalFeed, keys: AccessTokenJwk[]) {
  const keyring = readRevocationKeys(keys, "test");
  const messages = await Promise.all(feed.published.map((text) => keyring.verify(text)));
  return messages
    .map((message) => (message as RevocationMessage).revocation)
    .filter((revocation) => revocation !== undefined);
}

async function world(options: { maxEntries?: number; failClosed?: boolean } = {}) {
  let at = Date.now();
  const now = () => at;
  const feed = new LocalFeed();
  const revocationKey = await generateSigningKey("HS256");
  const key = await generateSigningKey();
  const tokens = createAccessTokens({ keys: [key], issuer: ISSUER, audience: AUDIENCE, now });
  const store = switchableStore(new MemoryStore({ now }));
  const publisher = revocationPublisher({
    feed,
    ttl: tokens.ttl,
    keys: [revocationKey],
    heartbeatInterval: 5,
    now,
  });
  const sessions = createSessions({ store: store.store, onEvent: publisher, now });
  await publisher.settled();
  let storeChecks = 0;
  const check = sessionRevocation(sessions);
  const rejected: RevocationRejectReason[] = [];
  const revocations = await subscribeRevocations({
    feed,
    keys: [revocationKey],
    isRevoked: (sid, claims) => {
      storeChecks++;
      return check(sid, claims);
    },
    onRejected: (reason) => rejected.push(reason),
    now,
    ...options,
  });
  const verifier = revocations.protect(
    createVerifier({ jwks: tokens.jwks(), issuer: ISSUER, audience: AUDIENCE, now }),
  );
  const login = async (userId = "alice") => {
    const { session } = await sessions.create({ userId });
    return { session, token: await tokens.issue(session) };
  };
  /** Signs a message as if from another publisher holding the key. */
  const signed = (message: RevocationMessage) =>
    readRevocationKeys([revocationKey], "test").sign(message);
  return {
    feed,
    store,
    sessions,
    publisher,
    revocations,
    verifier,
    login,
    rejected,
    signed,
    revocationKey,
    storeChecks: () => storeChecks,
    /** Waits until what was published so far has been checked and applied by the list. */
    flush: async () => {
      await publisher.settled();
      await revocations.settled();
    },
    advance: (ms: number) => {
      at += ms;
    },
    now,
  };
}

describe("the publisher", () => {
  it("publishes one revoked session, signed, with the tokens' lifetime as its end", async () => {
    const feed = new LocalFeed();
    const keys = [await generateSigningKey("HS256")];
    const publisher = revocationPublisher({ feed, ttl: 300, keys });
    const sessions = createSessions({
      store: new MemoryStore({ now: () => 1_000_000 }),
      now: () => 1_000_000,
      onEvent: publisher,
    });
    const { session } = await sessions.create({ userId: "alice" });
    await sessions.revoke(session.id);
    await publisher.settled();
    expect(await revocationsOn(feed, keys)).toEqual([
      { sessionIds: [session.id], revokedAt: 1_000_000, until: 1_300_000 },
    ]);
    // On the wire: a compact JWS naming its key, not readable JSON anyone could have written.
    expect(feed.published.at(-1)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("publishes the ids a revoke-all event lists", async () => {
    const feed = new LocalFeed();
    const keys = [await generateSigningKey("HS256")];
    const publish = revocationPublisher({ feed, ttl: 300, keys });
    publish({
      type: "session.revoked",
      sessionId: null,
      userId: "alice",
      at: new Date(5000),
      sessionIds: ["s1", "s2"],
    });
    await publish.settled();
    expect(await revocationsOn(feed, keys)).toEqual([
      { sessionIds: ["s1", "s2"], revokedAt: 5000, until: 305_000 },
    ]);
  });

  it("names the user when a revoke-all event does not list its sessions", async () => {
    const feed = new LocalFeed();
    const keys = [await generateSigningKey("HS256")];
    const publisher = revocationPublisher({ feed, ttl: 300, keys });
    const sessions = createSessions({ store: new MemoryStore(), onEvent: publisher });
    await sessions.create({ userId: "alice" });
    await sessions.create({ userId: "alice" });
    await sessions.revokeAll("alice");
    await publisher.settled();
    const [revocation] = await revocationsOn(feed, keys);
    if (revocation && revocation.sessionIds.length === 0) {
      expect(revocation.userIds).toEqual(["alice"]);
    } else {
      // A core whose revoke-all event lists the ended sessions.
      expect(revocation?.sessionIds).toHaveLength(2);
    }
  });

  it("publishes a session ended by theft detection", async () => {
    const feed = new LocalFeed();
    const keys = [await generateSigningKey("HS256")];
    let at = 0;
    const publisher = revocationPublisher({ feed, ttl: 300, keys });
    const sessions = createSessions({
      store: new MemoryStore({ now: () => 0 }),
      now: () => at,
      rotation: { interval: 60, grace: 5 },
      onEvent: publisher,
    });
    const { session, token } = await sessions.create({ userId: "alice" });
    at = 61_000;
    const rotated = await sessions.validate(token);
    await sessions.validate(rotated.ok ? rotated.token : null);
    at = 70_000;
    expect(await sessions.validate(token)).toEqual({ ok: false, reason: "reused" });
    await publisher.settled();
    expect((await revocationsOn(feed, keys)).map((r) => r.sessionIds)).toEqual([[session.id]]);
  });

  it("reports a failed publish to onError and its status without throwing, and recovers", async () => {
    const feed = new LocalFeed();
    const statuses: string[] = [];
    const failures: unknown[] = [];
    const publisher = revocationPublisher({
      feed,
      ttl: 300,
      keys: [await generateSigningKey("HS256")],
      onError: (_, revocation) => failures.push(revocation?.sessionIds),
      onStatus: (status) => statuses.push(status),
    });
    const sessions = createSessions({ store: new MemoryStore(), onEvent: publisher });
    await publisher.settled();
    expect(publisher.status).toBe("healthy");
    feed.failing = true;
    const { session } = await sessions.create({ userId: "alice" });
    await expect(sessions.revoke(session.id)).resolves.toBe(true);
    await publisher.settled();
    expect(failures).toEqual([[session.id]]);
    expect(publisher.status).toBe("failing");
    feed.failing = false;
    await publisher.close();
    expect(statuses).toEqual(["healthy", "failing", "healthy", "closed"]);
  });

  it("refuses to start without HS256 revocation keys", async () => {
    const feed = new LocalFeed();
    expect(() => revocationPublisher({ feed, ttl: 300 } as never)).toThrow(/needs keys/);
    const ed = await generateSigningKey("EdDSA");
    expect(() => revocationPublisher({ feed, ttl: 300, keys: [ed] })).toThrow(/HS256/);
    await expect(subscribeRevocations({ feed } as never)).rejects.toThrow(/needs keys/);
  });
});

describe("which messages a verifier accepts", () => {
  it("refuses unsigned, wrongly signed and unknown-kid messages, counts them and applies none", async () => {
    const { feed, revocations, rejected, revocationKey, now, flush } = await world();
    const revocation = { sessionIds: ["victim"], revokedAt: now(), until: now() + 300_000 };
    const message = { pub: "attacker-01", n: 1, revoked: 1, at: now(), every: 5000, revocation };
    // Plain JSON, as the feed carried before messages were signed.
    feed.inject(JSON.stringify(revocation));
    // The right kid, another secret.
    const impostor = await generateSigningKey("HS256", { kid: revocationKey.kid });
    feed.inject(await readRevocationKeys([impostor], "test").sign(message));
    // A key this verifier does not hold.
    const other = await generateSigningKey("HS256");
    feed.inject(await readRevocationKeys([other], "test").sign(message));
    // The signature of one message on another's payload.
    const real = await readRevocationKeys([revocationKey], "test").sign({ ...message, n: 2 });
    const [header, , signature] = real.split(".");
    const payload = Buffer.from(JSON.stringify(message)).toString("base64url");
    feed.inject(`${header}.${payload}.${signature}`);
    await flush();
    expect(rejected).toEqual(["unsigned", "bad-signature", "unknown-key", "bad-signature"]);
    expect(revocations.rejected).toEqual({
      unsigned: 1,
      "unknown-key": 1,
      "bad-signature": 2,
      malformed: 0,
    });
    expect(revocations.denies("victim")).toBe(false);
    expect(revocations.publishers).toBe(1);
    expect(revocations.status).toBe("live");
  });

  it("ignores a replayed or out-of-order message of a publisher", async () => {
    const { feed, publisher, revocations, signed, now, advance, flush } = await world();
    await publisher.close(); // only the other publisher below is expected from here on
    const base = { pub: "another-issuer", revoked: 0, at: now(), every: 5000 };
    feed.inject(await signed({ ...base, n: 5 }));
    const late = { sessionIds: ["late"], revokedAt: now(), until: now() + 300_000 };
    feed.inject(await signed({ ...base, n: 4, revoked: 1, revocation: late }));
    await flush();
    expect(revocations.denies("late")).toBe(false);
    // A replay of a heartbeat does not keep a silent publisher alive.
    const beat = await signed({ ...base, n: 6 });
    feed.inject(beat);
    await flush();
    advance(9000);
    feed.inject(beat);
    await flush();
    expect(revocations.status).toBe("live");
    advance(2000);
    expect(revocations.reason).toBe("publisher-silent");
  });

  it("keeps an entry no longer than the tokens' lifetime plus tolerance, whatever it says", async () => {
    const { feed, revocations, signed, now, advance, flush } = await world();
    const forever = { sessionIds: ["s1"], revokedAt: now(), until: Number.MAX_SAFE_INTEGER };
    feed.inject(
      await signed({
        pub: "another-issuer",
        n: 1,
        revoked: 1,
        at: now(),
        every: 5000,
        revocation: forever,
      }),
    );
    await flush();
    expect(revocations.denies("s1")).toBe(true);
    advance(330_000 + 1);
    expect(revocations.denies("s1")).toBe(false);
  });
});

describe("a verifier's deny-list", () => {
  it("refuses a revoked session's token at once, with no store call for any token while live", async () => {
    const { sessions, verifier, login, storeChecks, revocations, flush } = await world();
    expect(revocations.status).toBe("live");
    const alice = await login("alice");
    const bob = await login("bob");
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    await sessions.revoke(alice.session.id);
    await flush();
    expect(await verifier.verify(alice.token)).toEqual({ ok: false, reason: "revoked" });
    expect((await verifier.verify(bob.token)).ok).toBe(true);
    expect(storeChecks()).toBe(0);
  });

  it("still asks the store on sensitive calls, and refuses when it cannot", async () => {
    const { store, verifier, login, storeChecks } = await world();
    const alice = await login();
    expect((await verifier.verify(alice.token, { checkRevocation: true })).ok).toBe(true);
    expect(storeChecks()).toBe(1);
    store.set("down");
    await expect(verifier.verify(alice.token, { checkRevocation: true })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it("asks the store on every call while the feed is lost, and trusts the list again when it is back", async () => {
    const { feed, sessions, revocations, verifier, login, storeChecks, flush } = await world();
    const alice = await login();
    const bob = await login("bob");
    feed.status("lost");
    expect(revocations.status).toBe("lost");
    expect(revocations.reason).toBe("feed-lost");
    // Revoked while the feed is lost: the store knows, the list does not.
    const away = [...feed.listeners];
    feed.listeners.clear();
    await sessions.revoke(alice.session.id);
    expect(await verifier.verify(alice.token)).toEqual({ ok: false, reason: "revoked" });
    expect(storeChecks()).toBe(1);
    // Learnt from the store: the next call needs no store read.
    expect(await verifier.verify(alice.token)).toEqual({ ok: false, reason: "revoked" });
    expect(storeChecks()).toBe(1);
    expect((await verifier.verify(bob.token)).ok).toBe(true);
    expect(storeChecks()).toBe(2);
    for (const listener of away) feed.listeners.add(listener);
    feed.status("live");
    await flush();
    expect(revocations.status).toBe("live");
    expect((await verifier.verify(bob.token)).ok).toBe(true);
    expect(storeChecks()).toBe(2);
  });

  it("falls back to the store when no publisher was ever heard, or the last one said goodbye", async () => {
    const feed = new LocalFeed();
    const keys = [await generateSigningKey("HS256")];
    const revocations = await subscribeRevocations({ feed, keys });
    expect(revocations.reason).toBe("no-publisher");
    const publisher = revocationPublisher({ feed, ttl: 300, keys });
    await publisher.settled();
    await revocations.settled();
    expect(revocations.status).toBe("live");
    await publisher.close();
    await revocations.settled();
    expect(revocations.reason).toBe("no-publisher");
  });

  it("falls back when a publisher misses twice its heartbeat interval, and is live when it is heard again", async () => {
    const { publisher, revocations, verifier, login, storeChecks, advance, signed, feed, flush } =
      await world();
    const alice = await login();
    advance(10_000);
    expect(revocations.status).toBe("live");
    advance(1);
    expect(revocations.reason).toBe("publisher-silent");
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    expect(storeChecks()).toBe(1);
    // The next heartbeat (the timer is 5 s of real time, so sent by hand here).
    feed.inject(await signed({ pub: publisher.id, n: 2, revoked: 0, at: Date.now(), every: 5000 }));
    await flush();
    expect(revocations.status).toBe("live");
  });

  it("forgets a publisher silent for longer than the tokens' lifetime (a crashed instance)", async () => {
    const { revocations, advance, feed, signed, now, flush } = await world();
    feed.inject(
      await signed({ pub: "crashed-instance", n: 1, revoked: 0, at: now(), every: 5000 }),
    );
    await flush();
    expect(revocations.publishers).toBe(2);
    advance(10_001 + 330_000);
    expect(revocations.publishers).toBe(0);
    expect(revocations.reason).toBe("no-publisher");
  });

  it("asks the store until the tokens concerned expire when a publisher's revocation count jumps", async () => {
    const {
      publisher,
      revocations,
      verifier,
      login,
      storeChecks,
      advance,
      feed,
      signed,
      now,
      flush,
    } = await world();
    const alice = await login();
    // Message 2 (a revocation) never arrived; message 3 says two revocations were signed.
    feed.inject(await signed({ pub: publisher.id, n: 3, revoked: 2, at: now(), every: 5000 }));
    await flush();
    expect(revocations.reason).toBe("missed-revocation");
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    expect(storeChecks()).toBe(1);
    let n = 4;
    for (let elapsed = 0; elapsed <= 330_000; elapsed += 5000) {
      advance(5000);
      feed.inject(await signed({ pub: publisher.id, n: n++, revoked: 2, at: now(), every: 5000 }));
    }
    await flush();
    expect(revocations.status).toBe("live");
  });

  it("asks the store after a publisher says it could not publish a revocation", async () => {
    const {
      feed,
      publisher,
      sessions,
      revocations,
      login,
      verifier,
      storeChecks,
      revocationKey,
      flush,
    } = await world();
    const alice = await login();
    feed.failing = true;
    await sessions.revoke(alice.session.id);
    await publisher.settled();
    feed.failing = false;
    await publisher.close();
    await flush();
    expect(revocations.reason).toBe("missed-revocation");
    // A verifier that starts only now reads the same gap from the log.
    const later = await subscribeRevocations({ feed, keys: [revocationKey] });
    expect(later.reason).toBe("missed-revocation");
    expect(await verifier.verify(alice.token)).toEqual({ ok: false, reason: "revoked" });
    expect(storeChecks()).toBe(1);
  });

  it("asks the store for a token that lives longer than the lifetime the list knows", async () => {
    const { revocations, storeChecks, sessions } = await world();
    const long = createAccessTokens({
      keys: [await generateSigningKey()],
      issuer: ISSUER,
      audience: AUDIENCE,
      ttl: 3600,
    });
    const verifier = revocations.protect(
      createVerifier({ jwks: long.jwks(), issuer: ISSUER, audience: AUDIENCE }),
    );
    const { session } = await sessions.create({ userId: "alice" });
    expect((await verifier.verify(await long.issue(session))).ok).toBe(true);
    expect(storeChecks()).toBe(1);
  });

  it("with the feed lost and the store down: accepts ordinary calls, refuses sensitive ones (503), or all with failClosed", async () => {
    const open = await world();
    const alice = await open.login();
    open.feed.status("lost");
    open.store.set("down");
    expect((await open.verifier.verify(alice.token)).ok).toBe(true);
    await expect(
      open.verifier.verify(alice.token, { checkRevocation: true }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);

    const closed = await world({ failClosed: true });
    const bob = await closed.login("bob");
    closed.feed.status("lost");
    closed.store.set("down");
    await expect(closed.verifier.verify(bob.token)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("checks a user's older tokens against the store after a revoke-all without ids, and no one else's", async () => {
    const { feed, verifier, login, sessions, storeChecks, signed, now, advance, flush } =
      await world();
    const alice = await login("alice");
    const bob = await login("bob");
    await sessions.revoke(alice.session.id); // the store forgets alice's session...
    await flush();
    // ...and a revoke-all event from an older core names only the user.
    const revocation = {
      sessionIds: [],
      userIds: ["bob"],
      revokedAt: now(),
      until: now() + 300_000,
    };
    feed.inject(
      await signed({ pub: "older-issuer", n: 1, revoked: 1, at: now(), every: 5000, revocation }),
    );
    await flush();
    const before = storeChecks();
    expect((await verifier.verify(bob.token)).ok).toBe(true); // bob's session is still in the store
    expect(storeChecks()).toBe(before + 1);
    advance(1000);
    const carol = await login("carol");
    expect((await verifier.verify(carol.token)).ok).toBe(true);
    expect(storeChecks()).toBe(before + 1);
  });

  it("stays bounded, and checks the store rather than forget a revocation still in force", async () => {
    const { feed, verifier, login, revocations, storeChecks, signed, now, flush } = await world({
      maxEntries: 10,
    });
    const until = now() + 300_000;
    for (let n = 1; n <= 50; n++) {
      const revocation = { sessionIds: [`flood-${n}`], revokedAt: now(), until };
      feed.inject(
        await signed({ pub: "flooding-issuer", n, revoked: n, at: now(), every: 5000, revocation }),
      );
    }
    await flush();
    expect(revocations.size).toBe(10);
    const alice = await login();
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    expect(storeChecks()).toBe(1);
  });

  it("forgets entries once the tokens they refuse have expired", async () => {
    const { feed, revocations, signed, now, advance, flush } = await world();
    const revocation = { sessionIds: ["s1"], revokedAt: now(), until: now() + 300_000 };
    feed.inject(
      await signed({ pub: "another-issuer", n: 1, revoked: 1, at: now(), every: 5000, revocation }),
    );
    await flush();
    expect(revocations.denies("s1")).toBe(true);
    advance(329_000);
    expect(revocations.denies("s1")).toBe(true);
    advance(2000);
    expect(revocations.denies("s1")).toBe(false);
    expect(revocations.size).toBe(0);
  });
});
