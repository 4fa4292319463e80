/**
 * Revocation epochs: the store keeps a global epoch and one per user, raises them with max
 * semantics (never lower, the highest of concurrent raises wins), and reads a record with the
 * epochs that apply to it in one call. Then the kill switches through core: after
 * `revokeIssuedBefore(now)` no earlier session validates, and a login racing `revokeAll` does not
 * survive it.
 *
 * The global epoch is shared by everything on the backend, so these tests only ever raise it to
 * a time no later than the sessions other tests create afterwards (the wall clock at the raise).
 */
import { hasEpochs, type SessionStore } from "@tessera/core/store";
import { expect, it } from "vitest";
import { makeRecord, uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

type EpochStore = SessionStore &
  Required<Pick<SessionStore, "getWithEpochs" | "readEpochs" | "raiseEpoch">>;

function epochStore(store: SessionStore): EpochStore {
  // Every Tessera store implements the three; a store without them fails here, by name.
  expect(hasEpochs(store), "the store implements getWithEpochs, readEpochs and raiseEpoch").toBe(
    true,
  );
  return store as EpochStore;
}

/** The `epochs` suite on its own: `epochsSuite(name, makeStore, options?)`. */
export const epochsSuite = defineSuite("epochs", (t) => {
  it("starts a user's epoch at 0 and never sets the user epoch of a guest", async () => {
    const store = epochStore(t.store);
    const epochs = await store.readEpochs(uniqueUser());
    expect(epochs.user).toBe(0);
    expect(epochs.global).toBeGreaterThanOrEqual(0);
    expect(epochs.global).toBeLessThanOrEqual(Date.now());
    expect((await store.readEpochs(null)).user).toBe(0);
  });

  it("raises the global epoch, and never lowers it", async () => {
    const store = epochStore(t.store);
    const before = (await store.readEpochs(null)).global;
    const at = Math.max(before + 1, Date.now() - 60_000);
    await store.raiseEpoch(null, at);
    expect((await store.readEpochs(null)).global).toBe(at);
    expect((await store.readEpochs(uniqueUser())).global).toBe(at);
    await store.raiseEpoch(null, at - 1000);
    expect((await store.readEpochs(null)).global).toBe(at);
  });

  it("raises one user's epoch only, and never lowers it", async () => {
    const store = epochStore(t.store);
    const alice = uniqueUser();
    const bob = uniqueUser();
    const at = Date.now();
    await store.raiseEpoch(alice, at);
    expect((await store.readEpochs(alice)).user).toBe(at);
    expect((await store.readEpochs(bob)).user).toBe(0);
    await store.raiseEpoch(alice, at - 5000);
    expect((await store.readEpochs(alice)).user).toBe(at);
    await store.raiseEpoch(alice, at + 5000);
    expect((await store.readEpochs(alice)).user).toBe(at + 5000);
  });

  it("keeps the highest of 20 concurrent raises", async () => {
    const store = epochStore(t.store);
    const userId = uniqueUser();
    const base = Date.now();
    const values = Array.from({ length: 20 }, (_, i) => base + ((i * 7919) % 20) * 1000);
    await Promise.all(values.map((at) => store.raiseEpoch(userId, at)));
    expect((await store.readEpochs(userId)).user).toBe(Math.max(...values));
  });

  it("reads a record with the epochs that apply to it, in one call", async () => {
    const store = epochStore(t.store);
    const userId = uniqueUser();
    const record = makeRecord({ userId });
    await store.create(record);
    const at = Date.now() + 1000;
    await store.raiseEpoch(userId, at);
    const found = await store.getWithEpochs(record.id);
    expect(found?.record).toEqual(record);
    const global = (await store.readEpochs(null)).global;
    expect(found?.epochs.global).toBe(global);
    // A store whose hot read cannot include the user epoch documents it and answers 0.
    expect([at, 0]).toContain(found?.epochs.user);
    const guest = makeRecord({ userId: null, policy: "guest" });
    await store.create(guest);
    expect(await store.getWithEpochs(guest.id)).toEqual({
      record: guest,
      epochs: { global, user: 0 },
    });
    expect(await store.getWithEpochs(makeRecord().id)).toBeNull();
  });

  it("answers null from getWithEpochs for an expired record, like get", async () => {
    const store = epochStore(t.store);
    const record = makeRecord({ expiresAt: Date.now() - 1000 });
    await store.create(record).catch(() => {});
    expect(await store.getWithEpochs(record.id)).toBeNull();
  });

  it("through core: after revokeIssuedBefore(now) no earlier session validates, later ones do", async () => {
    epochStore(t.store);
    const { sessions, clock, events } = t.sessionsOn();
    // Sessions from two seconds ago, a kill switch at one second ago (never ahead of the wall
    // clock: other tests on the same backend create sessions now).
    clock.now = Date.now() - 2000;
    const early = await sessions.create({ userId: uniqueUser() });
    const guest = await sessions.createGuest({ data: { cart: [] } });
    clock.now = Date.now();
    await sessions.revokeIssuedBefore(new Date(clock.now - 1000));
    const late = await sessions.create({ userId: uniqueUser() });
    expect(await sessions.validate(early.token)).toEqual({ ok: false, reason: "not-found" });
    expect(await sessions.validate(guest.token, undefined, { guests: true })).toEqual({
      ok: false,
      reason: "not-found",
    });
    expect(await sessions.validate(late.token)).toMatchObject({ ok: true });
    // The dead record is cleaned up on the way.
    expect(await t.store.get(early.session.id)).toBeNull();
    expect(events).toContainEqual(
      expect.objectContaining({ type: "session.revoked", detail: "issued-before" }),
    );
  });

  it("through core: a login racing revokeAll does not survive it", async () => {
    epochStore(t.store);
    const { sessions } = t.sessionsOn({ now: Date.now });
    const userId = uniqueUser();
    const before = await Promise.all(Array.from({ length: 3 }, () => sessions.create({ userId })));
    const racing = Promise.allSettled(
      Array.from({ length: 10 }, () => sessions.create({ userId })),
    );
    await sessions.revokeAll(userId);
    const raced = await racing;
    for (const { token } of before) {
      expect(await sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
    }
    // No session created before revokeAll's epoch validates, however its insert interleaved
    // with the raise and the cleanup (one created at or after it may survive or not).
    const epoch = (await (t.store as EpochStore).readEpochs(userId)).user;
    expect(epoch).toBeGreaterThan(0);
    for (const result of raced) {
      if (result.status !== "fulfilled") continue;
      if (result.value.session.createdAt.getTime() >= epoch) continue;
      expect(await sessions.validate(result.value.token)).toEqual({
        ok: false,
        reason: "not-found",
      });
    }
    // Logins after revokeAll work.
    const after = await sessions.create({ userId });
    expect(await sessions.validate(after.token)).toMatchObject({ ok: true });
  });
});
