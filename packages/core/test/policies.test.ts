/**
 * Session policies through the session manager (issue #28): policy classes, the session limit
 * under parallel logins, guests and their upgrade, impersonation, and the kill switches
 * (revocation epochs). Each test is named after the rule it pins; the pure decisions behind them
 * are tested in decisions.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  createSessions,
  ImpersonationRefusedError,
  InvalidArgumentError,
  isTesseraError,
  MemoryStore,
  type SessionEvent,
  SessionLimitError,
  type SessionStore,
  type SessionsOptions,
  TesseraConfigError,
} from "../src/index.js";

const MINUTE = 60_000;
const HOME = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (Macintosh) Chrome/131.0.0.0" };

function setup(overrides: Partial<SessionsOptions> = {}, store: SessionStore = new MemoryStore()) {
  const clock = { now: Date.now() };
  const events: SessionEvent[] = [];
  const memory = store instanceof MemoryStore ? store : null;
  const sessions = createSessions({
    store,
    idleTimeout: 30 * 60,
    absoluteTimeout: 24 * 60 * 60,
    onEvent: (event) => {
      events.push(event);
    },
    now: () => clock.now,
    ...overrides,
  });
  return { sessions, clock, events, store, memory };
}

/** A MemoryStore whose every call waits a random few milliseconds: calls interleave. */
function delayingStore(inner = new MemoryStore()): SessionStore {
  const wait = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
  const wrapped: Record<string, unknown> = {};
  for (const method of [
    "create",
    "get",
    "update",
    "delete",
    "listByUser",
    "deleteByUser",
    "getWithEpochs",
    "readEpochs",
    "raiseEpoch",
  ] as const) {
    wrapped[method] = async (...args: unknown[]) => {
      await wait();
      const result = await (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(
        inner,
        args,
      );
      await wait();
      return result;
    };
  }
  return wrapped as unknown as SessionStore;
}

describe("rule policy-classes: configuration", () => {
  it("validates every class like the top level, naming the class", () => {
    const store = new MemoryStore();
    expect(() =>
      createSessions({ store, policies: { admin: { idleTimeout: 900, absoluteTimeout: 600 } } }),
    ).toThrow(
      /policies\.admin\.idleTimeout \(900\) must not exceed policies\.admin\.absoluteTimeout/,
    );
    expect(() =>
      createSessions({ store, policies: { kiosk: { rotation: { interval: 10, grace: 10 } } } }),
    ).toThrow(/policies\.kiosk\.rotation\.grace/);
    expect(() =>
      createSessions({
        store,
        policies: { banking: { limit: { perUser: 0, when: "refuse" } } },
      }),
    ).toThrow(/policies\.banking\.limit\.perUser/);
    expect(() =>
      // @ts-expect-error: an unknown limit behaviour
      createSessions({ store, policies: { banking: { limit: { perUser: 2, when: "drop" } } } }),
    ).toThrow(TesseraConfigError);
    expect(() => createSessions({ store, policies: { "bad name!": {} } })).toThrow(
      TesseraConfigError,
    );
    expect(() =>
      // @ts-expect-error: a class must be an object
      createSessions({ store, policies: { admin: 5 } }),
    ).toThrow(/policies\.admin/);
  });

  it("inherits unspecified settings from the top level; policies.default overrides the default", () => {
    const { sessions } = setup({
      freshFor: 120,
      cookie: { persistent: true },
      policies: {
        default: { idleTimeout: 600 },
        kiosk: { persistent: false, absoluteTimeout: 3600 },
      },
    });
    expect(sessions.policyOf("default")).toMatchObject({
      idleTimeout: 600,
      absoluteTimeout: 24 * 60 * 60,
      freshFor: 120,
      persistent: true,
    });
    // A class inherits the top level, not policies.default.
    expect(sessions.policyOf("kiosk")).toMatchObject({
      name: "kiosk",
      idleTimeout: 30 * 60,
      absoluteTimeout: 3600,
      freshFor: 120,
      persistent: false,
      limit: null,
      requireDeviceBound: false,
    });
    expect(sessions.policyOf("nope")).toBeNull();
  });

  it("builds in guest and impersonation with short defaults, overridable", () => {
    const { sessions } = setup({ policies: { guest: { idleTimeout: 600 } } });
    expect(sessions.policyOf("guest")).toMatchObject({
      idleTimeout: 600,
      absoluteTimeout: 24 * 60 * 60,
      freshFor: 0,
      persistent: false,
    });
    expect(sessions.policyOf("impersonation")).toMatchObject({
      idleTimeout: 15 * 60,
      absoluteTimeout: 60 * 60,
      freshFor: 0,
      persistent: false,
    });
  });
});

describe("rule policy-classes: sessions", () => {
  it("stores the class on the record and shows it; an unknown class is a configuration error", async () => {
    const { sessions, store } = setup({ policies: { remembered: { idleTimeout: 7200 } } });
    const { session, token } = await sessions.create({ userId: "alice", policy: "remembered" });
    expect(session).toMatchObject({ policy: "remembered", impersonatedBy: null });
    expect((await store.get(session.id))?.policy).toBe("remembered");
    expect(sessions.policyOf(session)?.idleTimeout).toBe(7200);
    expect(await sessions.validate(token)).toMatchObject({
      ok: true,
      session: { policy: "remembered" },
    });
    await expect(sessions.create({ userId: "alice", policy: "remmbered" })).rejects.toThrow(
      TesseraConfigError,
    );
    const plain = await sessions.create({ userId: "alice" });
    expect(plain.session.policy).toBe("default");
  });

  it("reads settings from the class at decision time: a changed class applies on the next request", async () => {
    const store = new MemoryStore();
    const before = setup({ policies: { admin: { idleTimeout: 30 * 60 } } }, store);
    const { token } = await before.sessions.create({ userId: "root", policy: "admin" });
    // The application redeploys with a stricter admin class.
    const after = setup({ policies: { admin: { idleTimeout: 5 * 60 } } }, store);
    after.clock.now = before.clock.now + 10 * MINUTE;
    expect(await after.sessions.validate(token)).toEqual({ ok: false, reason: "expired" });
  });

  it("ends a session whose class was removed on its next request (never a looser class)", async () => {
    const store = new MemoryStore();
    const before = setup({ policies: { admin: { idleTimeout: 5 * 60 } } }, store);
    const { session, token } = await before.sessions.create({ userId: "root", policy: "admin" });
    const after = setup({}, store);
    expect(await after.sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
    expect(await store.get(session.id)).toBeNull();
    expect(after.events).toContainEqual(
      expect.objectContaining({ type: "session.revoked", detail: "policy-removed" }),
    );
  });

  it("writes a browser-session cookie (no Max-Age) for a non-persistent class", async () => {
    const { sessions } = setup({ policies: { kiosk: { persistent: false } } });
    const { session, token } = await sessions.create({ userId: "alice", policy: "kiosk" });
    const persistent = sessions.policyOf(session)?.persistent;
    expect(persistent).toBe(false);
    expect(sessions.cookie.serialize(token, session.expiresAt, { persistent })).not.toMatch(
      /Max-Age/,
    );
    expect(sessions.cookie.serialize(token, session.expiresAt)).toMatch(/Max-Age=1800/);
  });
});

describe("rule session-limit: parallel logins", () => {
  for (const when of ["evict-oldest", "refuse"] as const) {
    it(`${when}: 20 parallel logins on a store whose calls interleave leave exactly 3`, async () => {
      const inner = new MemoryStore();
      const { sessions, events } = setup(
        { policies: { banking: { limit: { perUser: 3, when } } } },
        delayingStore(inner),
      );
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => sessions.create({ userId: "alice", policy: "banking" })),
      );
      expect(await inner.listByUser("alice")).toHaveLength(3);
      const refused = results.filter((r) => r.status === "rejected");
      for (const result of refused) {
        expect(result.reason).toBeInstanceOf(SessionLimitError);
        expect(result.reason).toMatchObject({ code: "session-limit", policy: "banking", limit: 3 });
      }
      const named = new Set(
        events.filter((e) => e.type === "session.limit_evicted").flatMap((e) => e.sessionIds ?? []),
      );
      expect(named.size).toBe(17);
      if (when === "refuse") expect(refused.length).toBeGreaterThanOrEqual(17 - 3);
    });
  }

  it("evict-oldest: a login ends the oldest of the class, another class is not counted", async () => {
    const { sessions, clock } = setup({
      policies: { banking: { limit: { perUser: 1, when: "evict-oldest" } } },
    });
    const other = await sessions.create({ userId: "alice" });
    const first = await sessions.create({ userId: "alice", policy: "banking" });
    clock.now += 1000;
    const second = await sessions.create({ userId: "alice", policy: "banking" });
    expect((await sessions.validate(first.token)).ok).toBe(false);
    expect((await sessions.validate(second.token)).ok).toBe(true);
    expect((await sessions.validate(other.token)).ok).toBe(true);
  });

  it("refuse: the login beyond the limit throws SessionLimitError and leaves no session", async () => {
    const { sessions, clock, store } = setup({
      policies: { banking: { limit: { perUser: 1, when: "refuse" } } },
    });
    const first = await sessions.create({ userId: "alice", policy: "banking" });
    clock.now += 1000;
    const error = await sessions.create({ userId: "alice", policy: "banking" }).catch((e) => e);
    expect(error).toBeInstanceOf(SessionLimitError);
    expect(isTesseraError(error, "session-limit")).toBe(true);
    expect((await store.listByUser("alice")).map((r) => r.id)).toEqual([first.session.id]);
  });
});

describe("rule guests", () => {
  it("a guest session validates only with { guests: true }, and is never a Session", async () => {
    const { sessions, store } = setup();
    const { guest, token } = await sessions.createGuest({ data: { cart: ["sku-1"] } });
    expect(guest).toMatchObject({ userId: null, policy: "guest", data: { cart: ["sku-1"] } });
    expect(await sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
    expect(await sessions.validate(token, HOME, { guests: true })).toMatchObject({
      ok: true,
      session: null,
      guest: { id: guest.id, data: { cart: ["sku-1"] } },
    });
    expect(await sessions.find(guest.id)).toBeNull();
    expect(await sessions.reauthenticate(token)).toEqual({ ok: false, reason: "not-found" });
    expect((await store.get(guest.id))?.userId).toBeNull();
  });

  it("update changes a guest only with { guests: true }", async () => {
    const { sessions } = setup();
    const { guest, token } = await sessions.createGuest();
    expect(await sessions.update(guest.id, { cart: [1] })).toBeNull();
    const updated = await sessions.update(guest.id, (d) => ({ ...d, cart: [2] }), {
      guests: true,
    });
    expect(updated).toMatchObject({ userId: null, data: { cart: [2] } });
    expect(await sessions.validate(token, undefined, { guests: true })).toMatchObject({
      guest: { data: { cart: [2] } },
    });
  });

  it("upgrade: a new id and secret, the guest's data carried under the login's, the guest ended", async () => {
    const { sessions, events, store } = setup();
    const { guest, token } = await sessions.createGuest({ data: { cart: [1], theme: "dark" } });
    const created = await sessions.upgrade(token, { userId: "alice", data: { theme: "light" } });
    expect(created.session.id).not.toBe(guest.id);
    expect(created.token.split(".")[1]).not.toBe(token.split(".")[1]);
    expect(created.session).toMatchObject({
      userId: "alice",
      data: { cart: [1], theme: "light" },
      fresh: true,
    });
    expect(await store.get(guest.id)).toBeNull();
    expect(await sessions.validate(token, undefined, { guests: true })).toEqual({
      ok: false,
      reason: "not-found",
    });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "session.upgraded",
        sessionId: created.session.id,
        relatedSessionId: guest.id,
        userId: "alice",
      }),
    );
  });

  it("upgrade with merge, and with a dead guest token carries nothing", async () => {
    const { sessions } = setup();
    const { token } = await sessions.createGuest({ data: { cart: [1] } });
    const merged = await sessions.upgrade(token, {
      userId: "alice",
      data: { cart: [2] },
      merge: (g, l) => ({ cart: [...(g.cart as number[]), ...(l.cart as number[])] }),
    });
    expect(merged.session.data).toEqual({ cart: [1, 2] });
    const again = await sessions.upgrade(token, { userId: "bob", data: { x: 1 } });
    expect(again.session.data).toEqual({ x: 1 });
    // A user's token is no guest: nothing of it is carried or ended.
    const user = await sessions.upgrade(merged.token, { userId: "carol" });
    expect(user.session.data).toEqual({});
    expect((await sessions.validate(merged.token)).ok).toBe(true);
  });

  it("guests are in no user's list", async () => {
    const { sessions } = setup();
    await sessions.createGuest();
    const { session } = await sessions.create({ userId: "alice" });
    expect((await sessions.list("alice")).map((s) => s.id)).toEqual([session.id]);
  });
});

describe("rule impersonation", () => {
  const admins = new Set(["root", "ops"]);
  const options: Partial<SessionsOptions> = {
    impersonation: { canImpersonate: async (userId) => admins.has(userId) },
  };

  it("starts a session of the target, impersonatedBy the admin, class impersonation, never fresh", async () => {
    const { sessions, events } = setup(options);
    const admin = await sessions.create({ userId: "root" });
    const created = await sessions.impersonate(admin.session, "alice", {
      reason: "ticket 42",
    });
    expect(created.session).toMatchObject({
      userId: "alice",
      impersonatedBy: "root",
      policy: "impersonation",
      fresh: false,
    });
    const stepped = await sessions.reauthenticate(created.token);
    expect(stepped).toMatchObject({ ok: true, session: { fresh: false, impersonatedBy: "root" } });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "session.impersonation_started",
        sessionId: created.session.id,
        userId: "alice",
        impersonatedBy: "root",
        relatedSessionId: admin.session.id,
        reason: "ticket 42",
      }),
    );
    const listed = await sessions.list("alice");
    expect(listed).toMatchObject([{ id: created.session.id, impersonatedBy: "root" }]);
  });

  it("refuses nested, unconfigured, unpermitted, admin targets, and without a reason", async () => {
    const { sessions } = setup(options);
    const admin = await sessions.create({ userId: "root" });
    const acting = await sessions.impersonate(admin.session, "alice", { reason: "r" });
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (error: unknown) => {
          expect(error).toBeInstanceOf(ImpersonationRefusedError);
          expect(isTesseraError(error, "impersonation-refused")).toBe(true);
          return (error as ImpersonationRefusedError).reason;
        },
      );
    expect(await refusal(sessions.impersonate(acting.session, "bob", { reason: "r" }))).toBe(
      "nested",
    );
    const member = await sessions.create({ userId: "mallory" });
    expect(await refusal(sessions.impersonate(member.session, "bob", { reason: "r" }))).toBe(
      "not-allowed",
    );
    expect(await refusal(sessions.impersonate(admin.session, "ops", { reason: "r" }))).toBe(
      "admin-target",
    );
    const unconfigured = setup();
    const other = await unconfigured.sessions.create({ userId: "root" });
    expect(
      await refusal(unconfigured.sessions.impersonate(other.session, "bob", { reason: "r" })),
    ).toBe("not-allowed");
    await expect(
      // @ts-expect-error: the reason is required
      sessions.impersonate(admin.session, "bob", {}),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    const allowed = setup({
      impersonation: { canImpersonate: (u) => admins.has(u), allowAdminTargets: true },
    });
    const root = await allowed.sessions.create({ userId: "root" });
    await expect(
      allowed.sessions.impersonate(root.session, "ops", { reason: "r" }),
    ).resolves.toMatchObject({ session: { userId: "ops" } });
  });

  it("stopImpersonating ends it and names the admin; a plain session is left alone", async () => {
    const { sessions, events } = setup(options);
    const admin = await sessions.create({ userId: "root" });
    const acting = await sessions.impersonate(admin.session, "alice", { reason: "r" });
    expect(await sessions.stopImpersonating(admin.session.id)).toBeNull();
    expect((await sessions.validate(admin.token)).ok).toBe(true);
    expect(await sessions.stopImpersonating(acting.session.id)).toEqual({ impersonatedBy: "root" });
    expect((await sessions.validate(acting.token)).ok).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "session.impersonation_ended",
        sessionId: acting.session.id,
        userId: "alice",
        impersonatedBy: "root",
      }),
    );
  });
});

describe("rule revocation-epochs: the kill switches", () => {
  it("revokeIssuedBefore ends every earlier session, guests too, in one write", async () => {
    const { sessions, clock, memory } = setup();
    const early = await sessions.create({ userId: "alice" });
    const guest = await sessions.createGuest();
    clock.now += 1000;
    await sessions.revokeIssuedBefore(new Date(clock.now));
    const late = await sessions.create({ userId: "alice" });
    expect(await memory?.readEpochs(null)).toEqual({ global: clock.now, user: 0 });
    expect(await sessions.validate(early.token)).toEqual({ ok: false, reason: "not-found" });
    expect((await sessions.validate(guest.token, undefined, { guests: true })).ok).toBe(false);
    expect((await sessions.validate(late.token)).ok).toBe(true);
  });

  it("revokeIssuedBefore refuses a date ahead (a lock-out) and a store without epochs", async () => {
    const { sessions, clock } = setup();
    await expect(sessions.revokeIssuedBefore(new Date(clock.now + 1))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const inner = new MemoryStore();
    const plain: SessionStore = {
      create: (r) => inner.create(r),
      get: (id) => inner.get(id),
      update: (r, v) => inner.update(r, v),
      delete: (id) => inner.delete(id),
      listByUser: (u) => inner.listByUser(u),
      deleteByUser: (u, e) => inner.deleteByUser(u, e),
    };
    const without = setup({}, plain);
    await expect(
      without.sessions.revokeIssuedBefore(new Date(without.clock.now)),
    ).rejects.toBeInstanceOf(TesseraConfigError);
    // A store without epochs still works: validate reads with get.
    const { token } = await without.sessions.create({ userId: "alice" });
    expect((await without.sessions.validate(token)).ok).toBe(true);
  });

  it("list hides a session an epoch ended before it is cleaned up", async () => {
    const { sessions, clock, memory } = setup();
    await sessions.create({ userId: "alice" });
    clock.now += 1000;
    await memory?.raiseEpoch("alice", clock.now);
    expect(await memory?.listByUser("alice")).toHaveLength(1);
    expect(await sessions.list("alice")).toEqual([]);
    const [record] = (await memory?.listByUser("alice")) ?? [];
    expect(await sessions.find(record!.id)).toBeNull();
  });

  it("a login whose insert lands while revokeAll runs does not survive it", async () => {
    const inner = new MemoryStore();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The login's insert is held until revokeAll has raised the epoch and deleted by user.
    const racing: SessionStore = {
      create: async (record) => {
        await held;
        return inner.create(record);
      },
      get: (id) => inner.get(id),
      update: (r, v) => inner.update(r, v),
      delete: (id) => inner.delete(id),
      listByUser: (u) => inner.listByUser(u),
      deleteByUser: (u, e) => inner.deleteByUser(u, e),
      getWithEpochs: (id) => inner.getWithEpochs(id),
      readEpochs: (u) => inner.readEpochs(u),
      raiseEpoch: (u, at) => inner.raiseEpoch(u, at),
    };
    const { sessions, clock } = setup({}, racing);
    const login = sessions.create({ userId: "alice" });
    clock.now += 1000;
    await sessions.revokeAll("alice");
    release();
    const { token, session } = await login;
    expect(await inner.get(session.id)).toBeNull();
    expect(await sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
    // revokeAll with `except` keeps that one: no epoch is raised for it.
    const kept = await sessions.create({ userId: "alice" });
    clock.now += 1000;
    await sessions.revokeAll("alice", { except: kept.session.id });
    expect((await sessions.validate(kept.token)).ok).toBe(true);
  });
});
