/**
 * `sessions.device` and the gate's DBSC opt-outs, with a stand-in for `@tessera/dbsc` (core
 * checks no signature: the handler does). The same rules run again over real HTTP in
 * `@tessera/dbsc`'s tests.
 */
import { describe, expect, it } from "vitest";
import { createGate, type DbscHandler, type RequestFacts } from "../src/http/index.js";
import { createSessions, MemoryStore, type SessionEvent } from "../src/index.js";

const LIFETIMES = { challengeTtl: 60, cookieTtl: 600 };
const KEY = {
  alg: "ES256",
  jwk: { kty: "EC", crv: "P-256", x: "x", y: "y" },
  thumbprint: "t",
} as const;

function setup() {
  const clock = { now: Date.now() };
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    store: new MemoryStore({ now: () => clock.now }),
    cookie: { secure: false },
    now: () => clock.now,
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { sessions, clock, events };
}

/** A session whose browser registered a key; resolves its token and the cached challenge. */
async function boundSession(sessions: ReturnType<typeof setup>["sessions"]) {
  const { session, token } = await sessions.create({ userId: "alice" });
  const offered = await sessions.device.offer(session.id, LIFETIMES.challengeTtl);
  const granted = await sessions.device.register(
    session.id,
    { challenge: offered!, key: KEY },
    LIFETIMES,
  );
  if (!granted.ok) throw new Error(`registration refused: ${granted.reason}`);
  return { session, token, cached: granted.challenge, boundCookie: granted.cookie };
}

const noProof = (events: SessionEvent[]) =>
  events.filter((event) => event.type === "session.dbsc_refused" && event.detail === "no-proof");

describe("DBSC refresh without a proof (only the long-lived cookie)", () => {
  it("hands out the live challenge instead of a new one, so the browser's cached one survives", async () => {
    const { sessions } = setup();
    const { session, cached } = await boundSession(sessions);
    for (let i = 0; i < 5; i++) {
      const denied = await sessions.device.refresh(session.id, null, LIFETIMES);
      expect(denied).toEqual({ ok: false, reason: "no-proof", challenge: cached });
    }
    // The real browser's next refresh signs the challenge it cached, and it is still answerable.
    const refreshed = await sessions.device.refresh(session.id, { challenge: cached }, LIFETIMES);
    expect(refreshed.ok).toBe(true);
  });

  it("reports each one as session.dbsc_refused with detail no-proof", async () => {
    const { sessions, events } = setup();
    const { session } = await boundSession(sessions);
    await sessions.device.refresh(session.id, null, LIFETIMES);
    await sessions.device.refresh(session.id, null, LIFETIMES);
    expect(noProof(events).map((event) => event.sessionId)).toEqual([session.id, session.id]);
  });

  it("stores a new challenge only when none is live, and that one is answerable", async () => {
    const { sessions, clock } = setup();
    const { session, cached } = await boundSession(sessions);
    clock.now += (LIFETIMES.cookieTtl + LIFETIMES.challengeTtl + 1) * 1000;
    const denied = await sessions.device.refresh(session.id, null, LIFETIMES);
    expect(denied.ok).toBe(false);
    const challenge = (denied as { challenge: string }).challenge;
    expect(challenge).not.toBe(cached);
    const again = await sessions.device.refresh(session.id, null, LIFETIMES);
    expect((again as { challenge: string }).challenge).toBe(challenge);
    expect((await sessions.device.refresh(session.id, { challenge }, LIFETIMES)).ok).toBe(true);
  });
});

describe("DBSC registration offered again", () => {
  it("offers the pending registration challenge again instead of pushing it out", async () => {
    const { sessions } = setup();
    const { session } = await sessions.create({ userId: "bob" });
    const first = await sessions.device.offer(session.id, LIFETIMES.challengeTtl);
    for (let i = 0; i < 3; i++) {
      expect(await sessions.device.offer(session.id, LIFETIMES.challengeTtl)).toBe(first);
    }
    const granted = await sessions.device.register(
      session.id,
      { challenge: first!, key: KEY },
      LIFETIMES,
    );
    expect(granted.ok).toBe(true);
  });

  it("never offers a bound session a second key", async () => {
    const { sessions } = setup();
    const { session } = await boundSession(sessions);
    expect(await sessions.device.offer(session.id, LIFETIMES.challengeTtl)).toBeNull();
  });
});

/** A stand-in DBSC handler: routes by path, excludes `/static`, serves 200 `{}`. */
function dbscStub(): DbscHandler & { served: string[] } {
  const served: string[] = [];
  const answer = async (route: string) => {
    served.push(route);
    return { answer: { status: 200, headers: {}, body: "{}" }, cookie: null };
  };
  return {
    served,
    routeOf: (path) =>
      path === "/dbsc/register" ? "registration" : path === "/dbsc/refresh" ? "refresh" : null,
    excludes: (path) => path === "/static" || (path?.startsWith("/static/") ?? false),
    cookieName: "bound",
    clearCookie: () => ({
      name: "bound",
      value: "",
      attributes: { path: "/", httpOnly: true, secure: false, sameSite: "lax", maxAge: 0 },
    }),
    offer: async () => null,
    register: () => answer("registration"),
    refresh: () => answer("refresh"),
  };
}

function facts(path: string, headers: Record<string, string>, method = "POST"): RequestFacts {
  return { method, path, header: (name) => headers[name], remoteAddress: "127.0.0.1" };
}

describe("the gate and DBSC: opt-outs by name", () => {
  it("skips the CSRF rule for the two DBSC routes only (an identity provider's post-back)", async () => {
    const { sessions } = setup();
    const dbsc = dbscStub();
    const gate = createGate(sessions, { dbsc });
    const { token } = await sessions.create({ userId: "carol" });
    const crossSite = {
      cookie: `session=${token}`,
      origin: "https://idp.example",
      "sec-fetch-site": "cross-site",
      host: "app.example",
    };
    for (const path of ["/dbsc/register", "/dbsc/refresh"]) {
      const state = await gate.open(facts(path, crossSite));
      expect(state.refusal).toBeNull();
      expect(state.served?.status).toBe(200);
    }
    expect(dbsc.served).toEqual(["registration", "refresh"]);
    // Any other route, a look-alike path or a GET of the route keeps the rule.
    for (const path of ["/transfer", "/dbsc/register/", "/dbsc"]) {
      const state = await gate.open(facts(path, crossSite));
      expect(state.refusal?.refusal).toEqual({ error: "cross-site-request", reason: "cross-site" });
    }
  });

  it("does not require the bound cookie on an excluded path, and requires it everywhere else", async () => {
    const { sessions } = setup();
    const gate = createGate(sessions, { dbsc: dbscStub() });
    const { token } = await boundSession(sessions);
    const copied = { cookie: `session=${token}` }; // the session cookie alone
    const excluded = await gate.open(facts("/static/app.js", copied, "GET"));
    expect(excluded.session?.userId).toBe("alice");
    for (const path of ["/account", "/staticky", "/", null]) {
      const state = await gate.open({ ...facts("/", copied, "GET"), path });
      expect(state.session).toBeNull();
      expect(state.reason).toBe("device-unbound");
    }
  });

  it("device-binding: accepts a bound session with its live bound cookie, and keeps its cookie when refusing a copy", async () => {
    const { sessions } = setup();
    const gate = createGate(sessions, { dbsc: dbscStub() });
    const { token, boundCookie } = await boundSession(sessions);
    const bound = await gate.open(
      facts("/account", { cookie: `session=${token}; bound=${boundCookie}` }, "GET"),
    );
    expect(bound.session?.userId).toBe("alice");
    const copy = await gate.open(facts("/account", { cookie: `session=${token}` }, "GET"));
    expect(copy.reason).toBe("device-unbound");
    // The session is alive: refusing the copy must not clear the cookie of its real holder.
    expect(copy.effects()).toBeNull();
  });

  it("keeps the bound cookie required without a handler that excludes paths", async () => {
    const { sessions } = setup();
    const { excludes: _unused, ...older } = dbscStub();
    const gate = createGate(sessions, { dbsc: older });
    const { token } = await boundSession(sessions);
    const state = await gate.open(facts("/static/app.js", { cookie: `session=${token}` }, "GET"));
    expect(state.reason).toBe("device-unbound");
  });

  it("validate honours dbscExcluded only as the explicit fact", async () => {
    const { sessions } = setup();
    const { token } = await boundSession(sessions);
    expect((await sessions.validate(token, {}, { dbscExcluded: true })).ok).toBe(true);
    expect(await sessions.validate(token, {})).toEqual({ ok: false, reason: "device-unbound" });
  });
});
