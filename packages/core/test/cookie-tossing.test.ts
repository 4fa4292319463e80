/**
 * Cookie tossing (a sibling domain plants cookies of the session's name) at the gate: which
 * cookies are tried, which one is cleared, and the signal. The same attacks run over real HTTP
 * in @tessera/test-kit's review scenarios.
 */
import { describe, expect, it } from "vitest";
import { MAX_COOKIE_CANDIDATES, sessionCookies } from "../src/http/facts.js";
import { createGate, type GateSignal, type RequestFacts } from "../src/http/index.js";
import { createOriginCheck } from "../src/http/origin.js";
import { createSessions, MemoryStore } from "../src/index.js";

const wellFormed = (i: number) => `${"a".repeat(23)}${"bcdefghijk"[i]}.${"b".repeat(32)}`;

function setup(onSignal?: (signal: GateSignal) => void) {
  const sessions = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
  return { sessions, gate: createGate(sessions, onSignal ? { onSignal } : {}) };
}

const get = (cookie: string): RequestFacts => ({
  method: "GET",
  header: (name) => (name === "cookie" ? cookie : undefined),
  remoteAddress: "192.0.2.7",
});

describe("sessionCookies: only well-formed tokens count toward the candidates", () => {
  it("skips junk, so planted junk cannot push the real token out", () => {
    const junk = Array.from({ length: 10 }, (_, i) => `session=junk${i}`).join("; ");
    const read = sessionCookies(`${junk}; session=${wellFormed(0)}`, "session");
    expect(read).toEqual({ candidates: [wellFormed(0)], presented: 11 });
  });

  it("tries each token once and at most MAX_COOKIE_CANDIDATES", () => {
    const header = [0, 0, 1, 2, 3, 4].map((i) => `session=${wellFormed(i)}`).join("; ");
    const read = sessionCookies(header, "session");
    expect(read.candidates).toEqual([0, 1, 2, 3].map(wellFormed));
    expect(read.candidates).toHaveLength(MAX_COOKIE_CANDIDATES);
    expect(read.presented).toBe(6);
  });

  it("counts a lone malformed cookie as presented, with no candidate", () => {
    expect(sessionCookies("session=x; other=1", "session")).toEqual({
      candidates: [],
      presented: 1,
    });
    expect(sessionCookies(undefined, "session")).toEqual({ candidates: [], presented: 0 });
  });
});

describe("the gate under cookie tossing", () => {
  it("signals several session cookies of which none is valid, and clears none", async () => {
    const signals: GateSignal[] = [];
    const { gate } = setup((signal) => signals.push(signal));
    const state = await gate.open(get(`session=${wellFormed(0)}; session=junk`));
    expect(state.reason).toBe("not-found");
    expect(state.effects()).toBeNull();
    expect(signals).toEqual([
      { type: "cookie-tossing", cookies: 2, wellFormed: 1, client: { ip: "192.0.2.7" } },
    ]);
  });

  it("does not signal one dead cookie (cleared) or several with a valid one", async () => {
    const signals: GateSignal[] = [];
    const { gate, sessions } = setup((signal) => signals.push(signal));
    const lone = await gate.open(get(`session=${wellFormed(0)}`));
    expect(lone.effects()?.cookies[0]?.value).toBe("");
    const { token } = await sessions.create({ userId: "alice" });
    const state = await gate.open(get(`session=junk; session=${token}`));
    expect(state.session?.userId).toBe("alice");
    expect(signals).toEqual([]);
  });

  it("answers the same whatever an onSignal observer throws", async () => {
    const { gate } = setup(() => {
      throw new Error("observer down");
    });
    const state = await gate.open(get("session=a; session=b"));
    expect(state.reason).toBe("malformed");
  });
});

describe("allowedOrigins: a bare host and the cookie's Secure attribute", () => {
  const facts = (origin: string) => ({
    method: "POST",
    origin,
    secFetchSite: "same-site",
    ownOrigin: () => "https://app.example.test",
    hasSessionCookie: true,
  });

  it("matches https only for a Secure session cookie", () => {
    const check = createOriginCheck(["admin.example.test"], { secureCookie: true });
    expect(check(facts("https://admin.example.test"))).toBeNull();
    expect(check(facts("http://admin.example.test"))).toBe("cross-site");
  });

  it("matches any scheme for a cookie that is not Secure (development over plain HTTP)", () => {
    const check = createOriginCheck(["admin.example.test"], { secureCookie: false });
    expect(check(facts("http://admin.example.test"))).toBeNull();
    expect(check(facts("https://admin.example.test"))).toBeNull();
  });

  it("keeps full origins exact, scheme included", () => {
    const check = createOriginCheck(["http://admin.example.test"], { secureCookie: true });
    expect(check(facts("http://admin.example.test"))).toBeNull();
    expect(check(facts("https://admin.example.test"))).toBe("cross-site");
  });
});
