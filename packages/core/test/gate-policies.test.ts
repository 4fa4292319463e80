/**
 * The request gate with session policies (issue #28): the cookie of a non-persistent class, the
 * session-limit answer, guests before login and their upgrade at login, and impersonation with
 * the admin's token kept in its own cookie.
 */
import { describe, expect, it } from "vitest";
import type { CookieValue } from "../src/cookie.js";
import {
  answerForError,
  createGate,
  type RequestFacts,
  type ResponseEffects,
} from "../src/http/index.js";
import {
  createSessions,
  ImpersonationRefusedError,
  MemoryStore,
  SessionLimitError,
  type SessionsOptions,
} from "../src/index.js";

function setup(overrides: Partial<SessionsOptions> = {}) {
  const clock = { now: Date.now() };
  const sessions = createSessions({
    store: new MemoryStore({ now: () => clock.now }),
    cookie: { secure: false },
    now: () => clock.now,
    ...overrides,
  });
  return { sessions, clock, gate: createGate(sessions) };
}

function request(cookies: Record<string, string> = {}, method = "GET"): RequestFacts {
  const cookie = Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
  const headers: Record<string, string> = { "sec-fetch-site": "same-origin" };
  if (cookie) headers.cookie = cookie;
  return { method, header: (name) => headers[name], remoteAddress: "127.0.0.1", secure: false };
}

function cookiesOf(effects: ResponseEffects | null): Record<string, CookieValue> {
  return Object.fromEntries((effects?.cookies ?? []).map((cookie) => [cookie.name, cookie]));
}

describe("gate: policy classes", () => {
  it("writes a cookie without Max-Age for a non-persistent class, with it otherwise", async () => {
    const { gate } = setup({ policies: { kiosk: { persistent: false } } });
    const kiosk = await gate.open(request({}, "POST"));
    await kiosk.login({ userId: "alice", policy: "kiosk" });
    expect(kiosk.session?.policy).toBe("kiosk");
    expect(cookiesOf(kiosk.effects()).session?.attributes.maxAge).toBeUndefined();
    const plain = await gate.open(request({}, "POST"));
    await plain.login({ userId: "alice" });
    expect(cookiesOf(plain.effects()).session?.attributes.maxAge).toBeGreaterThan(0);
  });

  it("answers a login refused by the session limit 403 session-limit", async () => {
    const { gate, clock } = setup({
      policies: { banking: { limit: { perUser: 1, when: "refuse" } } },
    });
    await (await gate.open(request({}, "POST"))).login({ userId: "alice", policy: "banking" });
    clock.now += 1000;
    const second = await gate.open(request({}, "POST"));
    const error = await second
      .login({ userId: "alice", policy: "banking" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionLimitError);
    const answer = answerForError(error);
    expect(answer?.status).toBe(403);
    expect(JSON.parse(answer?.body ?? "null")).toEqual({ error: "session-limit" });
    expect(second.failure).toBe(answer);
  });
});

describe("gate: guests", () => {
  it("starts a guest, sees it on the next request as guest (never session), and updates it", async () => {
    const { gate } = setup();
    const first = await gate.open(request());
    const guest = await first.startGuest({ cart: ["sku-1"] });
    expect(guest).toMatchObject({ userId: null, data: { cart: ["sku-1"] } });
    const cookie = cookiesOf(first.effects()).session;
    // The guest class is not persistent: a browser-session cookie.
    expect(cookie?.attributes.maxAge).toBeUndefined();
    const next = await gate.open(request({ session: cookie!.value }, "POST"));
    expect(next.session).toBeNull();
    expect(next.token).toBeNull();
    expect(next.guest?.id).toBe(guest?.id);
    expect(next.require()?.status).toBe(401);
    expect(await next.startGuest()).toBe(next.guest);
    const updated = await next.updateGuest((data) => ({ ...data, cart: ["sku-1", "sku-2"] }));
    expect(updated?.data).toEqual({ cart: ["sku-1", "sku-2"] });
  });

  it("tells the integration a started guest changed what the response carries", async () => {
    const { gate } = setup();
    const state = await gate.open(request());
    const heard: unknown[] = [];
    state.onSessionChange = (session) => heard.push(session);
    await state.startGuest();
    expect(heard).toEqual([null]); // still no logged-in session, but a cookie to write
    expect(cookiesOf(state.effects()).session).toBeDefined();
  });

  it("login upgrades the request's guest: its data carried over, a new session id", async () => {
    const { gate, sessions } = setup();
    const first = await gate.open(request());
    const guest = await first.startGuest({ cart: ["sku-1"] });
    const token = cookiesOf(first.effects()).session!.value;
    const login = await gate.open(request({ session: token }, "POST"));
    const created = await login.login({ userId: "alice", data: { role: "member" } });
    expect(created.session.id).not.toBe(guest?.id);
    expect(created.session.data).toEqual({ cart: ["sku-1"], role: "member" });
    expect(login.guest).toBeNull();
    expect(login.session?.userId).toBe("alice");
    expect(await sessions.validate(token, undefined, { guests: true })).toMatchObject({
      ok: false,
    });
  });
});

describe("gate: impersonation", () => {
  const options: Partial<SessionsOptions> = {
    impersonation: { canImpersonate: (userId) => userId === "root" },
  };

  async function adminRequest(gate: ReturnType<typeof setup>["gate"]) {
    const login = await gate.open(request({}, "POST"));
    await login.login("root");
    const token = cookiesOf(login.effects()).session!.value;
    return { token, state: await gate.open(request({ session: token }, "POST")) };
  }

  it("reads the impersonator cookie of a resumed request: stopping returns to the admin", async () => {
    const { gate } = setup(options);
    const admin = await adminRequest(gate);
    const acting = await admin.state.impersonate("alice", { reason: "ticket 7" });
    const cookies = { session: acting.token, "session-impersonator": admin.token };
    const checked = (await gate.open(request(cookies, "POST"))).checked();
    const state = gate.resume(checked, request(cookies, "POST"));
    expect(state.session?.impersonatedBy).toBe("root");
    expect((await state.stopImpersonating())?.userId).toBe("root");
    expect(state.token).toBe(admin.token);
  });

  it("keeps the admin's token in an HttpOnly impersonator cookie and returns to it on stop", async () => {
    const { gate } = setup(options);
    const admin = await adminRequest(gate);
    const created = await admin.state.impersonate("alice", { reason: "ticket 42" });
    expect(created.session).toMatchObject({ userId: "alice", impersonatedBy: "root" });
    const written = cookiesOf(admin.state.effects());
    expect(written.session?.value).toBe(created.token);
    expect(written["session-impersonator"]).toMatchObject({
      value: admin.token,
      attributes: { httpOnly: true, path: "/", sameSite: "lax" },
    });
    const acting = await gate.open(
      request({ session: created.token, "session-impersonator": admin.token }, "POST"),
    );
    expect(acting.session).toMatchObject({ userId: "alice", impersonatedBy: "root", fresh: false });
    const back = await acting.stopImpersonating();
    expect(back?.userId).toBe("root");
    const after = cookiesOf(acting.effects());
    expect(after["session-impersonator"]?.attributes.maxAge).toBe(0);
    expect(after.session?.value).toBe(admin.token);
    const gone = await gate.open(request({ session: created.token }));
    expect(gone.session).toBeNull();
  });

  it("never returns to a kept token that is not the impersonating admin's", async () => {
    const { gate } = setup(options);
    const admin = await adminRequest(gate);
    const created = await admin.state.impersonate("alice", { reason: "ticket 42" });
    // A planted impersonator cookie carrying someone else's valid token.
    const other = await gate.open(request({}, "POST"));
    await other.login("mallory");
    const mallory = cookiesOf(other.effects()).session!.value;
    const acting = await gate.open(
      request({ session: created.token, "session-impersonator": mallory }, "POST"),
    );
    expect(await acting.stopImpersonating()).toBeNull();
    expect(acting.session).toBeNull();
    const after = cookiesOf(acting.effects());
    expect(after.session?.attributes.maxAge).toBe(0);
    expect(after["session-impersonator"]?.attributes.maxAge).toBe(0);
  });

  it("refuses a non-admin, and logout clears the kept admin cookie", async () => {
    const { gate } = setup(options);
    const member = await gate.open(request({}, "POST"));
    await member.login("bob");
    await expect(member.impersonate("alice", { reason: "r" })).rejects.toBeInstanceOf(
      ImpersonationRefusedError,
    );
    const admin = await adminRequest(gate);
    const created = await admin.state.impersonate("alice", { reason: "r" });
    const acting = await gate.open(
      request({ session: created.token, "session-impersonator": admin.token }, "POST"),
    );
    await acting.logout();
    expect(cookiesOf(acting.effects())["session-impersonator"]?.attributes.maxAge).toBe(0);
  });
});
