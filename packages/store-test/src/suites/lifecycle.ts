/**
 * The session lifecycle on top of the store: the one-read hot path, no secret stored, rotation,
 * reuse detection, binding, revocation and step-up across instances, expiry to the millisecond.
 */
import { createSessions } from "@tessera/core";
import { hasEpochs } from "@tessera/core/store";
import { expect, it } from "vitest";
import { countingStore, uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

/** The `lifecycle` suite on its own: `lifecycleSuite(name, makeStore, options?)`. */
export const lifecycleSuite = defineSuite("lifecycle", (t) => {
  it("validates with exactly one store read and no write when nothing is due", async () => {
    const counted = countingStore(t.store);
    const clock = { now: Date.now() };
    const sessions = createSessions({ store: counted.store, now: () => clock.now });
    const { token } = await sessions.create({ userId: uniqueUser() });
    clock.now += 1000;
    counted.reset();
    const result = await sessions.validate(token);
    expect(result.ok).toBe(true);
    // The one read is `getWithEpochs` (record and revocation epochs together) when the store
    // has the epoch methods, else `get`.
    const epochs = hasEpochs(t.store);
    expect(counted.calls).toEqual({
      create: 0,
      get: epochs ? 0 : 1,
      getWithEpochs: epochs ? 1 : 0,
      update: 0,
      delete: 0,
      listByUser: 0,
      deleteByUser: 0,
      readEpochs: 0,
      raiseEpoch: 0,
    });
  });

  it("keeps no secret in the stored record", async () => {
    const { sessions, clock } = t.sessionsOn();
    const { session, token } = await sessions.create({
      userId: uniqueUser(),
      client: { ip: "198.51.100.4" },
    });
    clock.now += 5 * 60 * 1000;
    const rotated = await sessions.validate(token);
    expect(rotated.ok && rotated.token).toBeTruthy();
    const newToken = (rotated as { token: string }).token;
    const stored = JSON.stringify(
      t.options.rawRead ? await t.options.rawRead(session.id) : await t.store.get(session.id),
    );
    for (const issued of [token, newToken]) {
      const secret = issued.split(".")[1]!;
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(issued);
    }
  });

  it("refuses a wrong secret that was never issued without revoking the session", async () => {
    const { sessions, events } = t.sessionsOn();
    const { token } = await sessions.create({ userId: uniqueUser() });
    const forged = `${token.split(".")[0]}.${"a".repeat(32)}`;
    expect(await sessions.validate(forged)).toEqual({ ok: false, reason: "invalid-secret" });
    expect((await sessions.validate(token)).ok).toBe(true);
    expect(events.map((e) => e.type)).toContain("session.invalid_secret");
  });

  it("revokes the session when a retired secret is replayed after the grace window", async () => {
    const { sessions, clock, events } = t.sessionsOn();
    const { token } = await sessions.create({ userId: uniqueUser() });
    clock.now += 5 * 60 * 1000;
    const rotated = await sessions.validate(token);
    if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
    expect((await sessions.validate(rotated.token)).ok).toBe(true);
    clock.now += 30 * 1000;
    expect(await sessions.validate(token)).toEqual({ ok: false, reason: "reused" });
    expect(events.map((e) => e.type)).toContain("session.reuse_detected");
    expect(await sessions.validate(rotated.token)).toEqual({ ok: false, reason: "not-found" });
  });

  it("re-sends the same new token to the previous secret long after an unconfirmed rotation", async () => {
    const { sessions, clock, events } = t.sessionsOn();
    const { session, token } = await sessions.create({ userId: uniqueUser() });
    clock.now += 5 * 60 * 1000;
    const rotated = await sessions.validate(token);
    if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
    // The response carrying the new cookie was lost; the client returns much later.
    clock.now += 20 * 60 * 1000;
    expect(await sessions.validate(token)).toMatchObject({ ok: true, token: rotated.token });
    expect(events.map((e) => e.type)).not.toContain("session.reuse_detected");
    expect((await t.store.get(session.id))?.rotationNonce).not.toBeNull();
    // Presenting the new secret confirms it; the old one then has grace, then is reuse.
    expect((await sessions.validate(rotated.token)).ok).toBe(true);
    expect((await t.store.get(session.id))?.rotationNonce).toBeNull();
    expect(await sessions.validate(token)).toMatchObject({ ok: true, token: null });
    clock.now += 30 * 1000;
    expect(await sessions.validate(token)).toEqual({ ok: false, reason: "reused" });
  });

  it("answers rotate() with the previous secret as stale and leaves the stored record as it is", async () => {
    const { sessions } = t.sessionsOn();
    const { session, token } = await sessions.create({ userId: uniqueUser() });
    const forced = await sessions.rotate(token);
    if (!forced.ok || !forced.token) throw new Error("expected a new token");
    const before = await t.store.get(session.id);
    expect(await sessions.rotate(token)).toEqual({ ok: false, reason: "stale" });
    expect(await t.store.get(session.id)).toEqual(before);
    if (t.options.rawRead) expect(await t.options.rawRead(session.id)).not.toBeNull();
  });

  it("keeps the recorded user-agent when a soft binding change comes without one", async () => {
    const { sessions } = t.sessionsOn();
    const chrome =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const { session, token } = await sessions.create({
      userId: uniqueUser(),
      client: { ip: "203.0.113.7", userAgent: chrome },
    });
    const moved = await sessions.validate(token, { ip: "198.51.100.20" });
    expect(moved).toMatchObject({ ok: true, session: { bindingChanged: true } });
    expect((await t.store.get(session.id))?.client).toEqual({
      ip: "198.51.100.20",
      ua: "chrome/131/macos",
    });
    const again = await sessions.validate(token, { ip: "198.51.100.20", userAgent: chrome });
    expect(again).toMatchObject({ ok: true, session: { bindingChanged: false } });
  });

  it("makes revokeAll visible to another instance sharing the store", async () => {
    const a = t.sessionsOn();
    const b = t.sessionsOn();
    const userId = uniqueUser();
    const kept = await a.sessions.create({ userId });
    const gone = [await a.sessions.create({ userId }), await a.sessions.create({ userId })];
    const bystander = await a.sessions.create({ userId: uniqueUser() });
    expect(await b.sessions.revokeAll(userId, { except: kept.session.id })).toBe(2);
    const ended = b.events.find((e) => e.type === "session.revoked");
    expect(ended?.sessionIds?.sort()).toEqual(gone.map((g) => g.session.id).sort());
    for (const { token } of gone) {
      expect(await a.sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
    }
    expect((await a.sessions.validate(kept.token)).ok).toBe(true);
    expect((await a.sessions.validate(bystander.token)).ok).toBe(true);
    const listed = await b.sessions.list(userId, { current: kept.session.id });
    expect(listed.map((s) => [s.id, s.current])).toEqual([[kept.session.id, true]]);
  });

  it("sees data updates and step-up from any instance on the next validate", async () => {
    const a = t.sessionsOn();
    const b = t.sessionsOn({ freshFor: 60 });
    const { session, token } = await a.sessions.create({
      userId: uniqueUser(),
      data: { role: "member" },
    });
    await b.sessions.update(session.id, { role: "admin" });
    b.clock.now += 11 * 60 * 1000; // past the freshFor of the instance that created it
    const seen = await b.sessions.validate(token);
    expect(seen).toMatchObject({
      ok: true,
      session: { data: { role: "admin" }, fresh: false },
    });
    const stepped = await b.sessions.reauthenticate((seen.ok && seen.token) || token);
    if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
    expect(await a.sessions.validate(stepped.token)).toMatchObject({
      ok: true,
      session: { fresh: true },
    });
  });

  it("never makes a copy of the cookie taken before a step-up fresh", async () => {
    const { sessions, clock } = t.sessionsOn({ freshFor: 60 });
    const { token: copy } = await sessions.create({ userId: uniqueUser() });
    clock.now += 2 * 60 * 1000;
    const stepped = await sessions.reauthenticate(copy);
    if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
    expect(stepped.session.fresh).toBe(true);
    const resent = await sessions.validate(copy);
    expect(resent).toMatchObject({ ok: true, token: stepped.token, session: { fresh: false } });
    expect(await sessions.validate(stepped.token)).toMatchObject({
      ok: true,
      session: { fresh: false },
    });
  });

  it("expires on idle and absolute timeouts, to the millisecond", async () => {
    const { sessions, clock } = t.sessionsOn({
      idleTimeout: 60,
      absoluteTimeout: 100,
      rotation: { interval: 0, grace: 5 },
    });
    const start = clock.now;
    const first = await sessions.create({ userId: uniqueUser() });
    const second = await sessions.create({ userId: uniqueUser() });
    clock.now = start + 60_000 - 1;
    const alive = await sessions.validate(first.token);
    expect(alive.ok).toBe(true);
    clock.now = start + 60_000;
    expect(await sessions.validate(second.token)).toEqual({ ok: false, reason: "expired" });
    if (!alive.ok || !alive.token) throw new Error("expected a rotated token");
    clock.now = start + 100_000 - 1;
    const late = await sessions.validate(alive.token);
    expect(late.ok).toBe(true);
    if (!late.ok || !late.token) throw new Error("expected a rotated token");
    clock.now = start + 100_000;
    expect(await sessions.validate(late.token)).toEqual({ ok: false, reason: "expired" });
  });
});
