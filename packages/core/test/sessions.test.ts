import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createSessions,
  InvalidArgumentError,
  MemoryStore,
  SessionConflictError,
  type SessionEvent,
  type SessionStore,
  type SessionsOptions,
  StoreUnavailableError,
  TesseraConfigError,
  TesseraError,
} from "../src/index.js";
import type { SessionRecord } from "../src/store/index.js";
import { storedRecord } from "./records.js";

const MINUTE = 60_000;
const CHROME =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const HOME = { ip: "203.0.113.7", userAgent: CHROME };

/**
 * A MemoryStore that counts calls per method. The sessions run on a fake clock set ahead of real
 * time; the store keeps real time, like Redis or Postgres would, so expiry decisions are core's.
 */
function setup(overrides: Partial<SessionsOptions> = {}) {
  const clock = { now: Date.now() + 365 * 24 * 60 * MINUTE };
  const inner = new MemoryStore();
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    store,
    idleTimeout: 30 * 60,
    absoluteTimeout: 24 * 60 * 60,
    rotation: { interval: 5 * 60, grace: 30 },
    binding: { ip: "soft", userAgent: "soft" },
    freshFor: 10 * 60,
    onEvent: (event) => {
      events.push(event);
    },
    now: () => clock.now,
    ...overrides,
  });
  const resetCalls = () => {
    for (const key of Object.keys(calls)) delete calls[key];
  };
  return { sessions, clock, store: inner, calls, resetCalls, events };
}

async function rotateOnce(ctx: ReturnType<typeof setup>, token: string) {
  ctx.clock.now += 5 * MINUTE;
  const result = await ctx.sessions.validate(token, HOME);
  if (!result.ok || !result.token) throw new Error("expected a rotation");
  return result.token;
}

describe("createSessions configuration", () => {
  const store = new MemoryStore();

  it.each<[string, Partial<SessionsOptions>]>([
    ["idle longer than absolute", { idleTimeout: 100, absoluteTimeout: 50 }],
    ["grace equal to interval", { rotation: { interval: 60, grace: 60 } }],
    ["grace longer than interval", { rotation: { interval: 60, grace: 90 } }],
    ["negative idle", { idleTimeout: -1 }],
    ["zero absolute", { absoluteTimeout: 0 }],
    ["NaN freshFor", { freshFor: Number.NaN }],
    ["negative interval", { rotation: { interval: -5 } }],
    ["infinite grace", { rotation: { interval: 0, grace: Number.POSITIVE_INFINITY } }],
    ["unknown binding mode", { binding: { ip: "loose" as never } }],
    ["bad ipv4 prefix", { binding: { ipv4Prefix: 33 } }],
    ["negative store timeout", { storeTimeout: -1 }],
    ["string timeout", { idleTimeout: "30" as never }],
  ])("throws TesseraConfigError for %s", (_, options) => {
    expect(() => createSessions({ store, ...options })).toThrow(TesseraConfigError);
  });

  it.each<[string, Partial<SessionsOptions>, RegExp]>([
    ["a rotation that is not an object", { rotation: 300 as never }, /^rotation must be an object/],
    [
      "a binding that is not an object",
      { binding: "strict" as never },
      /^binding must be an object/,
    ],
    [
      "a comparator that is not a function",
      { binding: { compare: "ip" as never } },
      /^binding\.compare must be a function/,
    ],
    [
      "an IPv6 prefix over 128",
      { binding: { ipv6Prefix: 129 } },
      /ipv6Prefix must be an integer from 0 to 128/,
    ],
    [
      "a negative IPv4 prefix",
      { binding: { ipv4Prefix: -1 } },
      /ipv4Prefix must be an integer from 0 to 32/,
    ],
    [
      "a fractional IPv4 prefix",
      { binding: { ipv4Prefix: 24.5 } },
      /ipv4Prefix must be an integer/,
    ],
    [
      "an IPv4 prefix as text",
      { binding: { ipv4Prefix: "24" as never } },
      /ipv4Prefix must be an integer/,
    ],
    [
      "an onEvent that is not a function",
      { onEvent: "log" as never },
      /^onEvent must be a function/,
    ],
    ["a clock that is not a function", { now: 5 as never }, /^now must be a function/],
    ["policies as an array", { policies: [] as never }, /^policies must be an object/],
    [
      "a class name with a space",
      { policies: { "my class": {} } },
      /"my class" is not a class name/,
    ],
    [
      "a class that is not an object",
      { policies: { admin: 5 as never } },
      /^policies\.admin must be an object/,
    ],
    [
      "a class's negative timeout",
      { policies: { admin: { idleTimeout: -1 } } },
      /^policies\.admin\.idleTimeout/,
    ],
    [
      "a class's persistent as text",
      { policies: { admin: { persistent: "yes" as never } } },
      /^policies\.admin\.persistent must be a boolean/,
    ],
    [
      "a class's requireDeviceBound as a number",
      { policies: { admin: { requireDeviceBound: 1 as never } } },
      /^policies\.admin\.requireDeviceBound must be a boolean/,
    ],
    [
      "a session limit of 0",
      { policies: { admin: { limit: { perUser: 0, when: "refuse" } } } },
      /^policies\.admin\.limit\.perUser/,
    ],
    [
      "a session limit with an unknown rule",
      { policies: { admin: { limit: { perUser: 3, when: "oldest" as never } } } },
      /^policies\.admin\.limit\.when/,
    ],
    [
      "impersonation that is not an object",
      { impersonation: 5 as never },
      /^impersonation must be an object/,
    ],
    [
      "a canImpersonate that is not a function",
      { impersonation: { canImpersonate: true as never } },
      /^impersonation\.canImpersonate must be a function/,
    ],
  ])("names the setting in its TesseraConfigError: %s", (_, options, message) => {
    expect(() => createSessions({ store, ...options })).toThrow(TesseraConfigError);
    expect(() => createSessions({ store, ...options })).toThrow(message);
  });

  it("lets a class override one rotation setting and keep the other from the top level", () => {
    const sessions = createSessions({
      store,
      rotation: { interval: 600, grace: 20 },
      policies: { admin: { rotation: { interval: 120 } }, kiosk: { freshFor: 0 } },
    });
    expect(sessions.policyOf("admin")?.rotation).toEqual({ interval: 120, grace: 20 });
    expect(sessions.policyOf("kiosk")?.rotation).toEqual({ interval: 600, grace: 20 });
    expect(sessions.policyOf("kiosk")?.freshFor).toBe(0);
    expect(sessions.policyOf("default")?.rotation).toEqual({ interval: 600, grace: 20 });
    // A class's own grace is checked against its merged interval.
    expect(() =>
      createSessions({
        store,
        rotation: { interval: 600, grace: 20 },
        policies: { admin: { rotation: { interval: 10 } } },
      }),
    ).toThrow(/policies\.admin\.rotation\.grace \(20\) must be shorter/);
  });

  it("throws TesseraConfigError without a store, or with something that is not one", () => {
    expect(() => createSessions({} as SessionsOptions)).toThrow(TesseraConfigError);
    expect(() => createSessions({ store: { get() {} } as never })).toThrow(/no create\(\) method/);
  });

  it("accepts any grace when rotating on every validate", () => {
    expect(() => createSessions({ store, rotation: { interval: 0, grace: 10 } })).not.toThrow();
  });

  it("has secure defaults", () => {
    const sessions = createSessions({ store });
    expect(sessions.cookie.name).toBe("__Host-session");
  });
});

describe("create", () => {
  it("returns a fresh session view and a token, and fires session.created", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({
      userId: "u1",
      data: { role: "member" },
      client: HOME,
    });
    expect(token.startsWith(`${session.id}.`)).toBe(true);
    expect(session).toMatchObject({
      userId: "u1",
      data: { role: "member" },
      fresh: true,
      bindingChanged: false,
      client: { ip: "203.0.113.7", ipPrefix: "203.0.113.0/24", browser: "chrome 131", os: "macos" },
    });
    expect(session.expiresAt.getTime()).toBe(ctx.clock.now + 30 * MINUTE);
    expect(session.absoluteExpiresAt.getTime()).toBe(ctx.clock.now + 24 * 60 * MINUTE);
    expect(JSON.stringify(session)).not.toContain(token.split(".")[1]);
    expect(ctx.events.map((e) => e.type)).toEqual(["session.created"]);
  });

  it("refuses a missing user id and non-object data with InvalidArgumentError", async () => {
    const { sessions } = setup();
    await expect(sessions.create({ userId: "" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sessions.create({} as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(sessions.create({ userId: "u", data: [] as never })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(sessions.create({ userId: "u", data: cyclic })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it("copies data, so later changes by the caller do not leak into the session", async () => {
    const { sessions } = setup();
    const data = { role: "member" };
    const { token } = await sessions.create({ userId: "u", data });
    data.role = "admin";
    expect(await sessions.validate(token)).toMatchObject({ session: { data: { role: "member" } } });
  });
});

describe("rule hot-path: the validate hot path", () => {
  it("costs exactly one store read and no write when nothing is due", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    ctx.clock.now += MINUTE;
    ctx.resetCalls();
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({ ok: true, token: null });
    expect(ctx.calls).toEqual({ getWithEpochs: 1 });
  });

  it("writes the idle extension only once less than half the idle window remains", async () => {
    const ctx = setup({ rotation: { interval: 60 * 60, grace: 30 } });
    const created = ctx.clock.now;
    const { token } = await ctx.sessions.create({ userId: "u" });
    ctx.clock.now = created + 15 * MINUTE; // exactly half remains
    ctx.resetCalls();
    expect(await ctx.sessions.validate(token)).toMatchObject({ ok: true, token: null });
    expect(ctx.calls.update).toBeUndefined();
    ctx.clock.now = created + 15 * MINUTE + 1;
    const extended = await ctx.sessions.validate(token);
    expect(ctx.calls.update).toBe(1);
    // The cookie is re-sent so its Max-Age follows the new expiry.
    expect(extended).toMatchObject({ ok: true, token });
    if (!extended.ok) throw new Error("unreachable");
    expect(extended.session.expiresAt.getTime()).toBe(ctx.clock.now + 30 * MINUTE);
  });
});

describe("rule rotation: rotation", () => {
  it("rotates once the interval has passed, not a millisecond before", async () => {
    const ctx = setup();
    const created = ctx.clock.now;
    const { token } = await ctx.sessions.create({ userId: "u" });
    ctx.clock.now = created + 5 * MINUTE - 1;
    expect(await ctx.sessions.validate(token)).toMatchObject({ ok: true, token: null });
    ctx.clock.now = created + 5 * MINUTE;
    const rotated = await ctx.sessions.validate(token);
    expect(rotated.ok && rotated.token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
    expect(rotated.ok && rotated.token?.split(".")[0]).toBe(token.split(".")[0]); // the id is stable
    expect(ctx.events.filter((e) => e.type === "session.rotated")).toHaveLength(1);
  });

  it("rotates on every validate with interval 0", async () => {
    const ctx = setup({ rotation: { interval: 0, grace: 5 } });
    let { token } = await ctx.sessions.create({ userId: "u" });
    const seen = new Set([token]);
    for (let i = 0; i < 5; i++) {
      ctx.clock.now += 1;
      const result = await ctx.sessions.validate(token);
      if (!result.ok || !result.token) throw new Error("expected a new token");
      token = result.token;
      seen.add(token);
    }
    expect(seen.size).toBe(6);
  });

  it("rotate() forces a new secret at once", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const forced = await ctx.sessions.rotate(token);
    expect(forced.ok && forced.token).toBeTruthy();
    expect(forced.ok && forced.token).not.toBe(token);
    expect(await ctx.sessions.rotate("junk")).toEqual({ ok: false, reason: "malformed" });
  });

  it("rotate() answers stale to the previous secret and leaves the session as it is", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u" });
    const forced = await ctx.sessions.rotate(token, HOME);
    if (!forced.ok || !forced.token) throw new Error("expected a new token");
    // Unconfirmed: validate would re-send, rotate must not pretend success.
    const before = await ctx.store.get(session.id);
    expect(await ctx.sessions.rotate(token, HOME)).toEqual({ ok: false, reason: "stale" });
    expect(await ctx.store.get(session.id)).toEqual(before);
    // Confirmed, inside grace: still stale, still unchanged.
    expect((await ctx.sessions.validate(forced.token, HOME)).ok).toBe(true);
    const confirmed = await ctx.store.get(session.id);
    ctx.clock.now += 10_000;
    expect(await ctx.sessions.rotate(token, HOME)).toEqual({ ok: false, reason: "stale" });
    expect(await ctx.store.get(session.id)).toEqual(confirmed);
    // The caller retries with its current token and gets a new one.
    const retried = await ctx.sessions.rotate(forced.token, HOME);
    expect(retried.ok && retried.token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
    expect(retried.ok && retried.token).not.toBe(forced.token);
  });

  it("lets exactly one of many parallel requests rotate and gives all of them the same token", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    ctx.clock.now += 5 * MINUTE;
    const results = await Promise.all(
      Array.from({ length: 60 }, () => ctx.sessions.validate(token)),
    );
    expect(new Set(results.map((r) => r.ok && r.token)).size).toBe(1);
    expect(results.every((r) => r.ok && r.token)).toBe(true);
    expect(ctx.events.filter((e) => e.type === "session.rotated")).toHaveLength(1);
  });
});

describe("rule unconfirmed-rotation: unconfirmed rotation", () => {
  it("re-sends the same new token to the previous secret while the rotation is unconfirmed", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    // The response carrying `rotated` was lost: the browser comes back with the old cookie.
    ctx.clock.now += 30_000 - 1;
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({ ok: true, token: rotated });
    expect(ctx.events.filter((e) => e.type === "session.rotated")).toHaveLength(1);
  });

  it("accepts the previous secret inside grace without a new token once the new one was presented", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    expect(await ctx.sessions.validate(rotated, HOME)).toMatchObject({ ok: true, token: null });
    ctx.clock.now += 30_000 - 1;
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({ ok: true, token: null });
  });

  it("re-sends the same new token however long after the rotation the previous secret comes back", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    // The laptop was closed on the response that carried `rotated`: no theft alarm on return.
    ctx.clock.now += 20 * MINUTE;
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({ ok: true, token: rotated });
    expect(ctx.events.map((e) => e.type)).not.toContain("session.reuse_detected");
    expect(await ctx.sessions.validate(rotated, HOME)).toMatchObject({ ok: true });
  });

  it("never rotates again on top of an unconfirmed rotation when another interval passes", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    ctx.clock.now += 6 * MINUTE; // a second interval, still unconfirmed
    const again = await ctx.sessions.validate(token, HOME);
    expect(again).toMatchObject({ ok: true, token: rotated });
    expect(ctx.events.filter((e) => e.type === "session.rotated")).toHaveLength(1);
    // The new secret is still the current one: presenting it works and confirms it.
    expect((await ctx.sessions.validate(rotated, HOME)).ok).toBe(true);
  });

  it("confirms late without rotating at once, so tabs still carrying the previous secret get grace", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    ctx.clock.now += 20 * MINUTE;
    const confirmed = await ctx.sessions.validate(rotated, HOME);
    expect(confirmed.ok).toBe(true);
    // Only the cookie's Max-Age may be refreshed: no new secret in the confirming step.
    expect([null, rotated]).toContain(confirmed.ok ? confirmed.token : "refused");
    // A parallel tab's request sent with the old cookie lands just after the confirmation.
    ctx.clock.now += 30_000 - 1;
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({ ok: true, token: null });
    ctx.clock.now += 1;
    expect(await ctx.sessions.validate(token, HOME)).toEqual({ ok: false, reason: "reused" });
  });

  it("rotates again one interval after the confirmation, not one interval after the rotation", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    ctx.clock.now += 4 * MINUTE;
    await ctx.sessions.validate(rotated, HOME); // confirmed 4 minutes after the rotation
    ctx.clock.now += 5 * MINUTE - 1;
    expect(await ctx.sessions.validate(rotated, HOME)).toMatchObject({ ok: true, token: null });
    ctx.clock.now += 1;
    const next = await ctx.sessions.validate(rotated, HOME);
    expect(next.ok && next.token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
    expect(next.ok && next.token).not.toBe(rotated);
  });

  it("extends the idle expiry for the previous secret while unconfirmed, within the timeouts", async () => {
    const ctx = setup();
    const created = ctx.clock.now;
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token); // idle expiry now created + 35 min
    ctx.clock.now = created + 25 * MINUTE;
    const extended = await ctx.sessions.validate(token, HOME);
    expect(extended).toMatchObject({ ok: true, token: rotated });
    expect(extended.ok && extended.session.expiresAt.getTime()).toBe(ctx.clock.now + 30 * MINUTE);
    ctx.clock.now = created + 50 * MINUTE;
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({ ok: true, token: rotated });
    // Idle time still ends it: the unconfirmed path is no way around the timeouts.
    ctx.clock.now += 30 * MINUTE;
    expect(await ctx.sessions.validate(token, HOME)).toEqual({ ok: false, reason: "expired" });
  });

  it("keeps a lost-response holder working when a step-up lands on the token it was re-sent", async () => {
    const ctx = setup();
    const { token: first } = await ctx.sessions.create({ userId: "u", client: HOME });
    const rotated = await rotateOnce(ctx, first); // lost: the browser keeps `first`
    // The next request still carries `first`; an integration re-sends `rotated` and, for a
    // step-up on that request, hands `rotated` to reauthenticate. That response is lost too.
    expect(await ctx.sessions.validate(first, HOME)).toMatchObject({ token: rotated });
    const stepped = await ctx.sessions.reauthenticate(rotated, HOME);
    if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
    ctx.clock.now += 10 * MINUTE;
    // The browser comes back with `first`: re-sent the newest token, never a theft alarm, and
    // (being older than the step-up) never fresh.
    const back = await ctx.sessions.validate(first, HOME);
    expect(back).toMatchObject({ ok: true, token: stepped.token, session: { fresh: false } });
    expect(ctx.events.map((e) => e.type)).not.toContain("session.reuse_detected");
    expect(await ctx.sessions.validate(rotated, HOME)).toMatchObject({ token: stepped.token });
    // Presenting the newest token confirms it; the older ones are then retired.
    expect((await ctx.sessions.validate(stepped.token, HOME)).ok).toBe(true);
    ctx.clock.now += 30_000;
    expect(await ctx.sessions.validate(first, HOME)).toEqual({ ok: false, reason: "reused" });
  });

  it("gives every parallel request carrying the previous secret the same token while unconfirmed", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    ctx.clock.now += 10 * MINUTE;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ctx.sessions.validate(i % 2 ? token : rotated, HOME)),
    );
    // Before the confirmation they are re-sent `rotated`, after it they are inside grace.
    for (const result of results) expect([null, rotated]).toContain(result.ok && result.token);
  });
});

describe("rule reuse-detection: reuse (theft) detection", () => {
  it("answers invalid-secret for a guess, fires an event and keeps the session alive", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u" });
    const guess = `${session.id}.${"q".repeat(32)}`;
    expect(await ctx.sessions.validate(guess)).toEqual({ ok: false, reason: "invalid-secret" });
    expect(ctx.events.at(-1)).toMatchObject({
      type: "session.invalid_secret",
      sessionId: session.id,
      userId: "u",
    });
    expect((await ctx.sessions.validate(token)).ok).toBe(true);
  });

  it("refuses a secret retired before the grace window as reuse and revokes the session", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u" });
    const rotated = await rotateOnce(ctx, token);
    expect((await ctx.sessions.validate(rotated, HOME)).ok).toBe(true);
    ctx.clock.now += 30_000;
    expect(await ctx.sessions.validate(token, HOME)).toEqual({ ok: false, reason: "reused" });
    expect(ctx.events.map((e) => e.type)).toContain("session.reuse_detected");
    expect(ctx.events.at(-1)).toMatchObject({
      type: "session.revoked",
      sessionId: session.id,
      detail: "reuse",
    });
    // Both holders are out: the attacker and the victim must log in again.
    expect(await ctx.sessions.validate(rotated, HOME)).toEqual({ ok: false, reason: "not-found" });
  });

  it("detects reuse of older secrets kept in the retired ring", async () => {
    const ctx = setup();
    const { token: first } = await ctx.sessions.create({ userId: "u" });
    let current = first;
    for (let i = 0; i < 3; i++) {
      current = await rotateOnce(ctx, current);
      expect((await ctx.sessions.validate(current, HOME)).ok).toBe(true);
    }
    expect(await ctx.sessions.validate(first, HOME)).toEqual({ ok: false, reason: "reused" });
  });
});

describe("rule binding: binding", () => {
  it("accepts a soft change, marks bindingChanged, drops freshness and remembers the new client", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    const moved = { ip: "198.51.100.20", userAgent: CHROME };
    const result = await ctx.sessions.validate(token, moved);
    expect(result).toMatchObject({
      ok: true,
      session: { bindingChanged: true, fresh: false, client: { ip: "198.51.100.20" } },
    });
    expect(ctx.events.at(-1)).toMatchObject({ type: "session.binding_mismatch", detail: "soft" });
    const again = await ctx.sessions.validate(token, moved);
    expect(again).toMatchObject({ ok: true, session: { bindingChanged: false, fresh: false } });
  });

  it("is not fresh on a request from a moved client that still carries the previous secret", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    await rotateOnce(ctx, token);
    const moved = await ctx.sessions.validate(token, { ip: "198.51.100.20", userAgent: CHROME });
    expect(moved).toMatchObject({ ok: true, session: { bindingChanged: true, fresh: false } });
  });

  it("records only the fields a soft change supplied: a missing User-Agent never erases the recorded one", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u", client: HOME });
    const bare = await ctx.sessions.validate(token, { ip: "198.51.100.20" });
    expect(bare).toMatchObject({ ok: true, session: { bindingChanged: true, fresh: false } });
    const stored = await ctx.store.get(session.id);
    expect(stored?.client).toEqual({ ip: "198.51.100.20", ua: "chrome/131/macos" });
    // The user-agent is still compared: another browser is still a change.
    const other = await ctx.sessions.validate(token, { ip: "198.51.100.20", userAgent: FIREFOX });
    expect(other).toMatchObject({ ok: true, session: { bindingChanged: true } });
    expect(ctx.events.filter((e) => e.type === "session.binding_mismatch")).toHaveLength(2);
  });

  it("keeps a recorded IP and device id when a request omits them", async () => {
    const ctx = setup({ binding: { ip: "soft", userAgent: "soft", deviceId: "soft" } });
    const { session, token } = await ctx.sessions.create({
      userId: "u",
      client: { ...HOME, deviceId: "phone-1" },
    });
    const result = await ctx.sessions.validate(token, { userAgent: FIREFOX });
    expect(result).toMatchObject({ ok: true, session: { bindingChanged: true } });
    expect((await ctx.store.get(session.id))?.client).toEqual({
      ip: HOME.ip,
      ua: "firefox/133/linux",
      deviceId: "phone-1",
    });
    const strict = setup({ binding: { deviceId: "strict" } });
    const bound = await strict.sessions.create({ userId: "u", client: { deviceId: "phone-1" } });
    expect(await strict.sessions.validate(bound.token, {})).toEqual({
      ok: false,
      reason: "binding-mismatch",
    });
  });

  it("keeps the binding across a neighbouring IP and a browser update", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    const result = await ctx.sessions.validate(token, {
      ip: "203.0.113.99",
      userAgent: CHROME.replace("Chrome/131.0.0.0", "Chrome/133.0.1.2"),
    });
    expect(result).toMatchObject({ ok: true, session: { bindingChanged: false, fresh: true } });
  });

  it("refuses a strict mismatch with binding-mismatch and does not revoke", async () => {
    const ctx = setup({ binding: { userAgent: "strict" } });
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    expect(await ctx.sessions.validate(token, { ip: HOME.ip, userAgent: FIREFOX })).toEqual({
      ok: false,
      reason: "binding-mismatch",
    });
    expect(ctx.events.at(-1)).toMatchObject({ type: "session.binding_mismatch", detail: "strict" });
    expect((await ctx.sessions.validate(token, HOME)).ok).toBe(true);
  });

  it("binds a device id later and then requires it", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u" });
    expect(await ctx.sessions.bind(session.id, { deviceId: "phone-1" })).toMatchObject({
      client: { deviceId: "phone-1" },
    });
    expect((await ctx.sessions.validate(token, { deviceId: "phone-1" })).ok).toBe(true);
    expect(await ctx.sessions.validate(token, { deviceId: "laptop" })).toEqual({
      ok: false,
      reason: "binding-mismatch",
    });
    expect(() => ctx.sessions.bind(session.id, {} as never)).toThrow(InvalidArgumentError);
  });

  it("uses a custom comparator when given", async () => {
    const seen: unknown[] = [];
    const ctx = setup({
      binding: {
        compare: (recorded, current) => {
          seen.push([recorded, current]);
          return current.ip === "10.0.0.1" ? "reject" : "match";
        },
      },
    });
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    expect((await ctx.sessions.validate(token, { ip: "1.1.1.1" })).ok).toBe(true);
    expect(await ctx.sessions.validate(token, { ip: "10.0.0.1" })).toEqual({
      ok: false,
      reason: "binding-mismatch",
    });
    expect(seen[0]).toEqual([{ ip: HOME.ip, ua: "chrome/131/macos" }, { ip: "1.1.1.1" }]);
  });
});

describe("rule timeouts: timeouts (time travel, to the millisecond)", () => {
  it("expires after idleTimeout without activity", async () => {
    const ctx = setup();
    const created = ctx.clock.now;
    const a = await ctx.sessions.create({ userId: "u" });
    const b = await ctx.sessions.create({ userId: "u" });
    ctx.clock.now = created + 30 * MINUTE - 1;
    expect((await ctx.sessions.validate(a.token)).ok).toBe(true);
    ctx.clock.now = created + 30 * MINUTE;
    expect(await ctx.sessions.validate(b.token)).toEqual({ ok: false, reason: "expired" });
    expect(ctx.events.at(-1)).toMatchObject({ type: "session.expired", sessionId: b.session.id });
    expect(ctx.store.size).toBe(1); // the expired record was deleted
  });

  it("expires at absoluteTimeout however active the session is, and rotation never extends it", async () => {
    const ctx = setup({ idleTimeout: 60 * 60, absoluteTimeout: 2 * 60 * 60 });
    const created = ctx.clock.now;
    let { token } = await ctx.sessions.create({ userId: "u" });
    while (ctx.clock.now < created + 2 * 60 * MINUTE - 10 * MINUTE) {
      ctx.clock.now += 10 * MINUTE;
      const result = await ctx.sessions.validate(token);
      if (!result.ok) throw new Error(`refused early: ${result.reason}`);
      expect(result.session.absoluteExpiresAt.getTime()).toBe(created + 2 * 60 * MINUTE);
      expect(result.session.expiresAt.getTime()).toBeLessThanOrEqual(created + 2 * 60 * MINUTE);
      token = result.token ?? token;
    }
    ctx.clock.now = created + 2 * 60 * MINUTE - 1;
    const last = await ctx.sessions.validate(token);
    expect(last.ok).toBe(true);
    token = (last.ok && last.token) || token;
    ctx.clock.now = created + 2 * 60 * MINUTE;
    expect(await ctx.sessions.validate(token)).toEqual({ ok: false, reason: "expired" });
  });
});

describe("rule freshness: freshness", () => {
  it("is fresh for freshFor after login, and again for freshFor after reauthenticate", async () => {
    const ctx = setup();
    const created = ctx.clock.now;
    const { token } = await ctx.sessions.create({ userId: "u" });
    ctx.clock.now = created + 10 * MINUTE - 1;
    const before = await ctx.sessions.validate(token);
    expect(before).toMatchObject({ session: { fresh: true } });
    const current = (before.ok && before.token) || token;
    ctx.clock.now = created + 10 * MINUTE;
    expect(await ctx.sessions.validate(current)).toMatchObject({ session: { fresh: false } });
    const stepped = await ctx.sessions.reauthenticate(current, HOME);
    if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
    expect(stepped.session).toMatchObject({ fresh: true });
    expect(stepped.session.authenticatedAt.getTime()).toBe(ctx.clock.now);
    ctx.clock.now += 10 * MINUTE - 1;
    expect(await ctx.sessions.validate(stepped.token, HOME)).toMatchObject({
      session: { fresh: true },
    });
    ctx.clock.now += 1;
    expect(await ctx.sessions.validate(stepped.token, HOME)).toMatchObject({
      session: { fresh: false },
    });
  });

  it("reauthenticate rotates the secret, answers like validate and fires session.reauthenticated", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u", client: HOME });
    ctx.clock.now += 11 * MINUTE;
    const stepped = await ctx.sessions.reauthenticate(token, HOME);
    expect(stepped).toMatchObject({ ok: true, session: { id: session.id, fresh: true } });
    expect(stepped.ok && stepped.token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
    expect(stepped.ok && stepped.token).not.toBe(token);
    expect(ctx.events.at(-1)).toMatchObject({
      type: "session.reauthenticated",
      sessionId: session.id,
      userId: "u",
    });
    expect(ctx.events.at(-2)).toMatchObject({ type: "session.rotated", detail: "reauthenticate" });
    expect(await ctx.sessions.reauthenticate("junk")).toEqual({ ok: false, reason: "malformed" });
  });

  it("never makes a copy of the cookie taken before the step-up fresh, inside grace or through the re-send", async () => {
    const ctx = setup();
    const { token: copy } = await ctx.sessions.create({ userId: "u", client: HOME });
    ctx.clock.now += 11 * MINUTE;
    const stepped = await ctx.sessions.reauthenticate(copy, HOME);
    if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
    // Unconfirmed: the copy is re-sent the stepped-up token, without the freshness.
    const resent = await ctx.sessions.validate(copy, HOME);
    expect(resent).toMatchObject({ ok: true, token: stepped.token, session: { fresh: false } });
    expect(await ctx.sessions.validate(stepped.token, HOME)).toMatchObject({
      ok: true,
      session: { fresh: false },
    });
  });

  it("never makes the previous secret fresh once the step-up is confirmed, even inside grace", async () => {
    const ctx = setup();
    const { token: copy } = await ctx.sessions.create({ userId: "u", client: HOME });
    ctx.clock.now += 11 * MINUTE;
    const stepped = await ctx.sessions.reauthenticate(copy, HOME);
    if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
    expect(await ctx.sessions.validate(stepped.token, HOME)).toMatchObject({
      session: { fresh: true },
    });
    expect(await ctx.sessions.validate(copy, HOME)).toMatchObject({
      ok: true,
      token: null,
      session: { fresh: false },
    });
    // The stepped-up session itself stays fresh.
    expect(await ctx.sessions.validate(stepped.token, HOME)).toMatchObject({
      session: { fresh: true },
    });
  });

  it("is not fresh on a request carrying the previous secret of an ordinary rotation", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    const rotated = await rotateOnce(ctx, token); // 5 minutes in: the login is still fresh
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({
      token: rotated,
      session: { fresh: false },
    });
    expect(await ctx.sessions.validate(rotated, HOME)).toMatchObject({ session: { fresh: true } });
    expect(await ctx.sessions.validate(token, HOME)).toMatchObject({
      token: null,
      session: { fresh: false },
    });
  });

  it("reauthenticate answers stale to a secret already rotated away and changes nothing", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({ userId: "u", client: HOME });
    ctx.clock.now += 11 * MINUTE;
    const rotated = await ctx.sessions.validate(token, HOME);
    if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
    const before = await ctx.store.get(session.id);
    expect(await ctx.sessions.reauthenticate(token, HOME)).toEqual({ ok: false, reason: "stale" });
    expect(await ctx.store.get(session.id)).toEqual(before);
    expect(ctx.events.map((e) => e.type)).not.toContain("session.reauthenticated");
  });

  it("makes a step-up from a moved client fresh: the credentials were checked on that client", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    const moved = { ip: "198.51.100.20", userAgent: CHROME };
    const stepped = await ctx.sessions.reauthenticate(token, moved);
    expect(stepped).toMatchObject({ ok: true, session: { fresh: true, bindingChanged: true } });
  });
});

describe("rule revocation: revocation, devices and data", () => {
  it("update replaces data (or maps it) and every later validate sees it", async () => {
    const ctx = setup();
    const { session, token } = await ctx.sessions.create({
      userId: "u",
      data: { role: "member", n: 1 },
    });
    expect(await ctx.sessions.update(session.id, { role: "admin" })).toMatchObject({
      data: { role: "admin" },
    });
    await ctx.sessions.update(session.id, (data) => ({ ...data, n: 2 }));
    expect(await ctx.sessions.validate(token)).toMatchObject({
      session: { data: { role: "admin", n: 2 } },
    });
    expect(await ctx.sessions.update("z".repeat(24), {})).toBeNull();
    expect(await ctx.sessions.update("not an id", {})).toBeNull();
  });

  it("revoke ends one session on the very next validate", async () => {
    const ctx = setup();
    const a = await ctx.sessions.create({ userId: "u" });
    const b = await ctx.sessions.create({ userId: "u" });
    expect(await ctx.sessions.revoke(a.session.id)).toBe(true);
    expect(await ctx.sessions.revoke(a.session.id)).toBe(false);
    expect(await ctx.sessions.revoke("nonsense")).toBe(false);
    expect(await ctx.sessions.validate(a.token)).toEqual({ ok: false, reason: "not-found" });
    expect((await ctx.sessions.validate(b.token)).ok).toBe(true);
    expect(ctx.events.find((e) => e.type === "session.revoked")).toMatchObject({
      sessionId: a.session.id,
      detail: "revoke",
    });
  });

  it("revokeAll logs out the other devices, keeps the excepted one and leaves other users alone", async () => {
    const ctx = setup();
    const mine = await Promise.all([1, 2, 3].map(() => ctx.sessions.create({ userId: "u" })));
    const theirs = await ctx.sessions.create({ userId: "other" });
    ctx.resetCalls();
    expect(await ctx.sessions.revokeAll("u", { except: mine[0]!.session.id })).toBe(2);
    // One index read to name the sessions, one delete by user: O(sessions of that user).
    expect(ctx.calls).toEqual({ listByUser: 1, deleteByUser: 1 });
    expect((await ctx.sessions.validate(mine[0]!.token)).ok).toBe(true);
    expect(await ctx.sessions.validate(mine[1]!.token)).toEqual({ ok: false, reason: "not-found" });
    expect((await ctx.sessions.validate(theirs.token)).ok).toBe(true);
    expect(ctx.events.find((e) => e.type === "session.revoked")).toMatchObject({
      sessionId: null,
      userId: "u",
      count: 2,
      detail: "revoke-all",
    });
    expect(await ctx.sessions.revokeAll("u")).toBe(1);
  });

  it("names the sessions a revokeAll ended in its session.revoked event", async () => {
    const ctx = setup();
    const mine = await Promise.all([1, 2, 3].map(() => ctx.sessions.create({ userId: "u" })));
    await ctx.sessions.create({ userId: "other" });
    await ctx.sessions.revokeAll("u", { except: mine[2]!.session.id });
    const event = ctx.events.find((e) => e.type === "session.revoked");
    expect(event?.sessionIds?.sort()).toEqual([mine[0]!.session.id, mine[1]!.session.id].sort());
    expect(event?.count).toBe(2);
    await ctx.sessions.revokeAll("nobody");
    expect(ctx.events.at(-1)).toMatchObject({ sessionIds: [], count: 0, detail: "revoke-all" });
  });

  it("lists the user's devices, most recently active first, marking the current one", async () => {
    const ctx = setup();
    const phone = await ctx.sessions.create({
      userId: "u",
      client: { ip: "198.51.100.1", userAgent: FIREFOX },
    });
    ctx.clock.now += MINUTE;
    const laptop = await ctx.sessions.create({ userId: "u", client: HOME });
    await ctx.sessions.create({ userId: "someone-else" });
    const list = await ctx.sessions.list("u", { current: phone.session.id });
    expect(list.map((s) => [s.id, s.current, s.client.browser])).toEqual([
      [laptop.session.id, false, "chrome 131"],
      [phone.session.id, true, "firefox 133"],
    ]);
    expect(await ctx.sessions.list("nobody")).toEqual([]);
    await expect(ctx.sessions.list("")).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("find looks a live session up by id", async () => {
    const ctx = setup();
    const { session } = await ctx.sessions.create({ userId: "u" });
    expect(await ctx.sessions.find(session.id)).toMatchObject({ id: session.id, userId: "u" });
    expect(await ctx.sessions.find("x")).toBeNull();
    ctx.clock.now += 31 * MINUTE;
    expect(await ctx.sessions.find(session.id)).toBeNull();
  });
});

describe("rule failures: failures", () => {
  it("answers malformed without touching the store, for any input", async () => {
    const ctx = setup();
    ctx.resetCalls();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "grapheme" }),
          fc.string({ unit: fc.constantFrom(".", "a", "7") }),
        ),
        async (input) => {
          const result = await ctx.sessions.validate(input);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
    for (const input of ["x".repeat(1_000_000), null, undefined, 12, {}, "a.b"]) {
      expect(await ctx.sessions.validate(input)).toEqual({ ok: false, reason: "malformed" });
    }
    expect(ctx.calls).toEqual({});
  });

  it("answers not-found for a well-formed token of no session", async () => {
    const { sessions } = setup();
    expect(await sessions.validate(`${"a".repeat(24)}.${"b".repeat(32)}`)).toEqual({
      ok: false,
      reason: "not-found",
    });
  });

  const record = (): SessionRecord =>
    storedRecord({
      id: "a".repeat(24),
      userId: "u",
      secretHash: "x".repeat(43),
      expiresAt: Date.now() + MINUTE,
      absoluteExpiresAt: Date.now() + MINUTE,
    });

  const token = `${"a".repeat(24)}.${"b".repeat(32)}`;

  const broken = (overrides: Partial<SessionStore>): SessionStore => ({
    create: async () => {},

    get: async () => null,

    update: async () => true,

    delete: async () => {},

    listByUser: async () => [],

    deleteByUser: async () => 0,

    ...overrides,
  });

  it("wraps a thrown error in StoreUnavailableError with the cause kept", async () => {
    const cause = new Error("ECONNREFUSED");
    const sessions = createSessions({ store: broken({ get: () => Promise.reject(cause) }) });
    const error = await sessions.validate(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({
      code: "store-unavailable",
      name: "StoreUnavailableError",
      cause,
    });
  });

  it("wraps a synchronous throw too", async () => {
    const sessions = createSessions({
      store: broken({
        get: () => {
          throw new TypeError("boom");
        },
      }),
    });
    await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("gives up on a store that hangs past storeTimeout", async () => {
    const sessions = createSessions({
      store: broken({ get: () => new Promise(() => {}) }),
      storeTimeout: 50,
    });
    await expect(sessions.validate(token)).rejects.toThrow(/did not answer get within 50 ms/);
  });

  it("times out every hung call, also when calls overlap and come one after another", async () => {
    let calls = 0;
    const sessions = createSessions({
      store: broken({
        get: () => (++calls % 2 === 0 ? Promise.resolve(null) : new Promise(() => {})),
      }),
      storeTimeout: 40,
    });
    const first = sessions.validate(token); // hangs
    const second = await sessions.validate(token); // answers
    expect(second).toEqual({ ok: false, reason: "not-found" });
    await expect(first).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError); // hangs again
  });

  it("treats a nonsensical answer as unavailable, never as a session", async () => {
    for (const get of [
      async () => ({ id: "someone-else" }),
      async () => "yes",
      async () => ({ ...record(), id: "b".repeat(24) }),
    ]) {
      const sessions = createSessions({ store: broken({ get: get as never }) });
      await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
    }
    const sessions = createSessions({ store: broken({ listByUser: async () => [null] as never }) });
    await expect(sessions.list("u")).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("reports endless compare-and-swap losses as SessionConflictError", async () => {
    const ctx = setup();
    const { sessions, store } = ctx;
    const { token: real } = await sessions.create({ userId: "u" });
    const stored = await store.get(real.split(".")[0]!);
    const alwaysLosing = createSessions({
      store: broken({ get: async () => structuredClone(stored), update: async () => false }),
      rotation: { interval: 0, grace: 1 },
      now: () => ctx.clock.now,
    });
    await expect(alwaysLosing.validate(real)).rejects.toBeInstanceOf(SessionConflictError);
  });

  it("throws only TesseraError subclasses from the public API", async () => {
    const sessions = createSessions({ store: broken({ get: () => Promise.reject("a string") }) });
    const error = await sessions.validate(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
  });
});

describe("rule events: events", () => {
  it("carry session id, user id, time and client, and never a token or secret", async () => {
    const ctx = setup();
    const { token } = await ctx.sessions.create({ userId: "u", client: HOME });
    const rotated = await rotateOnce(ctx, token);
    await ctx.sessions.validate(rotated, { ip: "198.51.100.1", userAgent: CHROME });
    for (const event of ctx.events) {
      expect(event.at).toBeInstanceOf(Date);
      expect(event.userId).toBe("u");
      expect(event.sessionId).toBe(token.split(".")[0]);
      expect(event.client).toMatchObject({ ipPrefix: expect.any(String) });
    }
    const serialized = JSON.stringify(ctx.events);
    for (const issued of [token, rotated]) expect(serialized).not.toContain(issued.split(".")[1]);
  });

  it("fire session.updated for update() and bind(), naming what changed", async () => {
    const ctx = setup();
    const { session } = await ctx.sessions.create({ userId: "u", client: HOME });
    await ctx.sessions.update(session.id, { role: "admin" });
    await ctx.sessions.bind(session.id, { deviceId: "phone-1" });
    expect(ctx.events.slice(-2)).toMatchObject([
      { type: "session.updated", sessionId: session.id, userId: "u", detail: "data" },
      { type: "session.updated", sessionId: session.id, userId: "u", detail: "bind" },
    ]);
  });

  it("never let a failing handler break the lifecycle", async () => {
    for (const onEvent of [
      () => {
        throw new Error("audit sink down");
      },
      () => Promise.reject(new Error("audit sink down")),
    ]) {
      const { sessions } = setup({ onEvent });
      const { token } = await sessions.create({ userId: "u" });
      expect((await sessions.validate(token)).ok).toBe(true);
    }
  });
});

describe("tokenFrom", () => {
  it("reads the token from the cookie first, then from a bearer header", () => {
    const { sessions } = setup();
    expect(
      sessions.tokenFrom({ cookie: "__Host-session=abc", authorization: "Bearer def" }),
    ).toEqual({
      token: "abc",
      source: "cookie",
    });
    expect(sessions.tokenFrom({ authorization: "Bearer def" })).toEqual({
      token: "def",
      source: "bearer",
    });
    expect(sessions.tokenFrom({})).toBeNull();
  });
});
