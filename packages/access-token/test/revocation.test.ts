/**
 * The two ends of revocation push, in one process: what the issuer publishes for each way a
 * session ends, and how a verifier's deny-list answers when the feed is live, lost, overflowing
 * or told about a revoke-all without ids. The Redis transport between them is tested with real
 * processes in revocation-push.test.ts.
 */
import { createSessions, MemoryStore, StoreUnavailableError } from "@tessera/core";
import { switchableStore } from "@tessera/testing";
import { describe, expect, it } from "vitest";
import {
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  type Revocation,
  type RevocationFeed,
  type RevocationListener,
  revocationPublisher,
  sessionRevocation,
  subscribeRevocations,
} from "../src/index.js";

const ISSUER = "https://auth.example";
const AUDIENCE = "orders";

/** A feed inside one process: what is published reaches every listener; `cut()` loses them. */
class LocalFeed implements RevocationFeed {
  readonly published: Revocation[] = [];
  readonly listeners = new Set<RevocationListener>();
  failing = false;

  async publish(revocation: Revocation) {
    if (this.failing) throw new Error("feed down");
    this.published.push(revocation);
    for (const listener of this.listeners) listener.revoked(revocation);
  }

  async subscribe(listener: RevocationListener) {
    this.listeners.add(listener);
    for (const revocation of this.published) listener.revoked(revocation);
    listener.status("live");
    return { close: async () => void this.listeners.delete(listener) };
  }

  status(state: "live" | "lost") {
    for (const listener of this.listeners) listener.status(state);
  }
}

async function world(options: { maxEntries?: number; failClosed?: boolean } = {}) {
  const feed = new LocalFeed();
  const key = await generateSigningKey();
  const tokens = createAccessTokens({ keys: [key], issuer: ISSUER, audience: AUDIENCE });
  const store = switchableStore(new MemoryStore());
  const sessions = createSessions({
    store: store.store,
    onEvent: revocationPublisher({ feed, ttl: tokens.ttl }),
  });
  let storeChecks = 0;
  const check = sessionRevocation(sessions);
  const revocations = await subscribeRevocations({
    feed,
    isRevoked: (sid, claims) => {
      storeChecks++;
      return check(sid, claims);
    },
    ...options,
  });
  const verifier = revocations.protect(
    createVerifier({ jwks: tokens.jwks(), issuer: ISSUER, audience: AUDIENCE }),
  );
  const login = async (userId = "alice") => {
    const { session } = await sessions.create({ userId });
    return { session, token: await tokens.issue(session) };
  };
  return { feed, store, sessions, revocations, verifier, login, storeChecks: () => storeChecks };
}

/** Lets the publisher's promise settle. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the publisher", () => {
  it("publishes one revoked session, with the tokens' lifetime as its end", async () => {
    const feed = new LocalFeed();
    const sessions = createSessions({
      store: new MemoryStore({ now: () => 1_000_000 }),
      now: () => 1_000_000,
      onEvent: revocationPublisher({ feed, ttl: 300 }),
    });
    const { session } = await sessions.create({ userId: "alice" });
    await sessions.revoke(session.id);
    await tick();
    expect(feed.published).toEqual([
      { sessionIds: [session.id], revokedAt: 1_000_000, until: 1_300_000 },
    ]);
  });

  it("publishes the ids a revoke-all event lists", async () => {
    const feed = new LocalFeed();
    const publish = revocationPublisher({ feed, ttl: 300 });
    publish({
      type: "session.revoked",
      sessionId: null,
      userId: "alice",
      at: new Date(5000),
      sessionIds: ["s1", "s2"],
    });
    await tick();
    expect(feed.published).toEqual([{ sessionIds: ["s1", "s2"], revokedAt: 5000, until: 305_000 }]);
  });

  it("names the user when a revoke-all event does not list its sessions", async () => {
    const feed = new LocalFeed();
    const sessions = createSessions({
      store: new MemoryStore(),
      onEvent: revocationPublisher({ feed, ttl: 300 }),
    });
    await sessions.create({ userId: "alice" });
    await sessions.create({ userId: "alice" });
    await sessions.revokeAll("alice");
    await tick();
    const [revocation] = feed.published;
    if (revocation && revocation.sessionIds.length === 0) {
      expect(revocation.userIds).toEqual(["alice"]);
    } else {
      // A core whose revoke-all event lists the ended sessions.
      expect(revocation?.sessionIds).toHaveLength(2);
    }
  });

  it("publishes a session ended by theft detection", async () => {
    const feed = new LocalFeed();
    let at = 0;
    const sessions = createSessions({
      store: new MemoryStore({ now: () => 0 }),
      now: () => at,
      rotation: { interval: 60, grace: 5 },
      onEvent: revocationPublisher({ feed, ttl: 300 }),
    });
    const { session, token } = await sessions.create({ userId: "alice" });
    at = 61_000;
    const rotated = await sessions.validate(token);
    await sessions.validate(rotated.ok ? rotated.token : null);
    at = 70_000;
    expect(await sessions.validate(token)).toEqual({ ok: false, reason: "reused" });
    await tick();
    expect(feed.published.map((revocation) => revocation.sessionIds)).toEqual([[session.id]]);
  });

  it("ignores other events and reports a failed publish to onError without throwing", async () => {
    const feed = new LocalFeed();
    feed.failing = true;
    const failures: Revocation[] = [];
    const sessions = createSessions({
      store: new MemoryStore(),
      onEvent: revocationPublisher({ feed, ttl: 300, onError: (_, r) => failures.push(r) }),
    });
    const { session } = await sessions.create({ userId: "alice" });
    await expect(sessions.revoke(session.id)).resolves.toBe(true);
    await tick();
    expect(failures.map((revocation) => revocation.sessionIds)).toEqual([[session.id]]);
  });
});

describe("a verifier's deny-list", () => {
  it("refuses a revoked session's token at once, with no store call for any token while live", async () => {
    const { sessions, verifier, login, storeChecks } = await world();
    const alice = await login("alice");
    const bob = await login("bob");
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    await sessions.revoke(alice.session.id);
    await tick();
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
    const { feed, sessions, revocations, verifier, login, storeChecks } = await world();
    const alice = await login();
    const bob = await login("bob");
    feed.status("lost");
    expect(revocations.status).toBe("lost");
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
    expect(revocations.status).toBe("live");
    expect((await verifier.verify(bob.token)).ok).toBe(true);
    expect(storeChecks()).toBe(2);
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
    const { feed, verifier, login, sessions, storeChecks } = await world();
    const alice = await login("alice");
    const bob = await login("bob");
    await sessions.revoke(alice.session.id); // the store forgets alice's session...
    await tick();
    // ...and a revoke-all event from an older core names only the user.
    await feed.publish({
      sessionIds: [],
      userIds: ["bob"],
      revokedAt: Date.now(),
      until: Date.now() + 300_000,
    });
    const before = storeChecks();
    expect((await verifier.verify(bob.token)).ok).toBe(true); // bob's session is still in the store
    expect(storeChecks()).toBe(before + 1);
    const carol = await login("carol");
    expect((await verifier.verify(carol.token)).ok).toBe(true);
    expect(storeChecks()).toBe(before + 1);
  });

  it("stays bounded, and checks the store rather than forget a revocation still in force", async () => {
    const { feed, verifier, login, revocations, storeChecks } = await world({ maxEntries: 10 });
    const until = Date.now() + 300_000;
    for (let n = 0; n < 50; n++) {
      await feed.publish({ sessionIds: [`flood-${n}`], revokedAt: Date.now(), until });
    }
    expect(revocations.size).toBe(10);
    const alice = await login();
    expect((await verifier.verify(alice.token)).ok).toBe(true);
    expect(storeChecks()).toBe(1);
  });

  it("forgets entries once the tokens they refuse have expired", async () => {
    let at = 1_000_000;
    const feed = new LocalFeed();
    const revocations = await subscribeRevocations({ feed, now: () => at, clockTolerance: 30 });
    await feed.publish({ sessionIds: ["s1"], revokedAt: at, until: at + 300_000 });
    expect(revocations.denies("s1")).toBe(true);
    at += 329_000;
    expect(revocations.denies("s1")).toBe(true);
    at += 2000;
    expect(revocations.denies("s1")).toBe(false);
    expect(revocations.size).toBe(0);
  });
});
