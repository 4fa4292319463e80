/**
 * The public API at its edges: what each method does with input that is not what it takes (an
 * `InvalidArgumentError`, or a plain "no" for an id that cannot exist, without a store call), and
 * the `detail` of each event an audit log keys on.
 */
import { describe, expect, it } from "vitest";
import {
  createSessions,
  InvalidArgumentError,
  MemoryStore,
  type SessionEvent,
  type SessionStore,
} from "../src/index.js";

const MINUTE = 60_000;

function setup(store: SessionStore = new MemoryStore()) {
  const clock = { now: Date.now() };
  const events: SessionEvent[] = [];
  const calls: string[] = [];
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return value.apply(target, args);
      };
    },
  });
  const sessions = createSessions({
    store: counted,
    now: () => clock.now,
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { sessions, clock, events, calls };
}

describe("input a method does not take", () => {
  it("is InvalidArgumentError for create, upgrade, impersonate and revokeIssuedBefore", async () => {
    const { sessions, clock } = setup();
    for (const input of [null, undefined, "u1", 7]) {
      await expect(sessions.create(input as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    const { token: guest } = await sessions.createGuest();
    await expect(sessions.upgrade(guest, null as never)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      sessions.upgrade(guest, { userId: "u1", merge: "login-wins" as never }),
    ).rejects.toThrow(/merge must be a function/);
    for (const admin of [null, {}, { id: "not-an-id" }]) {
      await expect(
        sessions.impersonate(admin as never, "u2", { reason: "support ticket 42" }),
      ).rejects.toThrow(/needs the admin's Session/);
    }
    for (const date of [null, "2026-01-01", new Date(Number.NaN), Date.now()]) {
      await expect(sessions.revokeIssuedBefore(date as never)).rejects.toThrow(
        /needs a valid Date/,
      );
    }
    await expect(sessions.revokeIssuedBefore(new Date(clock.now + MINUTE))).rejects.toThrow(
      /not in the future/,
    );
  });

  it("answers a session id that cannot exist with no, and asks the store nothing", async () => {
    const { sessions, calls } = setup();
    for (const id of ["", "short", "ABCDEFGHIJKLMNOPQRSTUVWX", 7, null]) {
      expect(await sessions.revoke(id as never)).toBe(false);
      expect(await sessions.find(id as never)).toBeNull();
      expect(await sessions.stopImpersonating(id as never)).toBeNull();
    }
    expect(calls).toEqual([]);
  });
});

describe("event details", () => {
  it("names what revoked a session: revoke, issued-before, then epoch at the next request", async () => {
    const { sessions, clock, events } = setup();
    const first = await sessions.create({ userId: "u1" });
    events.length = 0;
    expect(await sessions.revoke(first.session.id)).toBe(true);
    expect(
      events.map(({ type, detail, sessionId, userId }) => ({ type, detail, sessionId, userId })),
    ).toEqual([
      { type: "session.revoked", detail: "revoke", sessionId: first.session.id, userId: "u1" },
    ]);
    // A revoke of a session already gone reports nothing.
    events.length = 0;
    expect(await sessions.revoke(first.session.id)).toBe(false);
    expect(events).toEqual([]);

    const second = await sessions.create({ userId: "u2" });
    clock.now += MINUTE;
    events.length = 0;
    await sessions.revokeIssuedBefore(new Date(clock.now));
    expect(events.map(({ type, detail, sessionId }) => ({ type, detail, sessionId }))).toEqual([
      { type: "session.revoked", detail: "issued-before", sessionId: null },
    ]);
    events.length = 0;
    expect(await sessions.validate(second.token)).toEqual({ ok: false, reason: "not-found" });
    expect(events.map(({ type, detail, sessionId }) => ({ type, detail, sessionId }))).toEqual([
      { type: "session.revoked", detail: "epoch", sessionId: second.session.id },
    ]);
  });

  it("names what updated a session, a guest's too: data or bind", async () => {
    const { sessions, events } = setup();
    const { session } = await sessions.create({ userId: "u1", data: { theme: "light" } });
    const { guest } = await sessions.createGuest({ data: { cart: [] } });
    events.length = 0;
    await sessions.update(session.id, { theme: "dark" });
    await sessions.bind(session.id, { deviceId: "phone-1" });
    // Without { guests: true } a guest id is no session: nothing changes, nothing is reported.
    expect(await sessions.update(guest.id, { cart: ["tea"] })).toBeNull();
    expect(await sessions.update(guest.id, { cart: ["tea"] }, { guests: true })).toMatchObject({
      data: { cart: ["tea"] },
      userId: null,
    });
    expect(events.map(({ type, detail, sessionId }) => ({ type, detail, sessionId }))).toEqual([
      { type: "session.updated", detail: "data", sessionId: session.id },
      { type: "session.updated", detail: "bind", sessionId: session.id },
      { type: "session.updated", detail: "data", sessionId: guest.id },
    ]);
  });
});

describe("the stored version", () => {
  it("rises by exactly one with every write, whichever operation made it", async () => {
    const store = new MemoryStore();
    const { sessions, clock } = setup(store);
    const created = await sessions.create({ userId: "u1" });
    const id = created.session.id;
    const version = async () => (await store.get(id))?.version;
    expect(await version()).toBe(1);
    await sessions.update(id, { theme: "dark" });
    expect(await version()).toBe(2);
    await sessions.bind(id, { deviceId: "phone-1" });
    expect(await version()).toBe(3);
    clock.now += 6 * MINUTE; // the rotation interval (5 minutes) has passed
    const rotated = await sessions.validate(created.token, { deviceId: "phone-1" });
    expect(rotated.ok && rotated.token).toBeTruthy();
    expect(await version()).toBe(4);
    const token = (rotated.ok && rotated.token) as string;
    const stepUp = await sessions.reauthenticate(token, { deviceId: "phone-1" });
    expect(stepUp.ok).toBe(true);
    expect(await version()).toBe(5);
  });
});

describe("policyOf", () => {
  it("gives times in seconds, and a copy of the limit", () => {
    const { sessions } = setup();
    const limited = createSessions({
      store: new MemoryStore(),
      rotation: { interval: 600, grace: 20 },
      policies: { admin: { limit: { perUser: 2, when: "refuse" } } },
    });
    expect(sessions.policyOf("default")?.rotation).toEqual({ interval: 300, grace: 30 });
    const admin = limited.policyOf({ policy: "admin" });
    expect(admin?.rotation).toEqual({ interval: 600, grace: 20 });
    expect(admin?.limit).toEqual({ perUser: 2, when: "refuse" });
    admin!.limit!.perUser = 99;
    expect(limited.policyOf("admin")?.limit?.perUser).toBe(2);
    expect(limited.policyOf("nope")).toBeNull();
    expect(limited.policyOf({ policy: 7 } as never)).toBeNull();
  });
});
