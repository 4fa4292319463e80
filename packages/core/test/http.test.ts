import { describe, expect, it } from "vitest";
import {
  createOriginCheck,
  createSessions,
  crossSiteAnswer,
  guardSession,
  InvalidArgumentError,
  isSessions,
  MemoryStore,
  readRequestSession,
  SessionConflictError,
  StoreUnavailableError,
  storeFailureAnswer,
  TesseraConfigError,
} from "../src/index.js";

const post = (headers: { origin?: string; site?: string; host?: string }) => ({
  method: "POST",
  origin: headers.origin ?? null,
  secFetchSite: headers.site ?? null,
  host: headers.host ?? "app.example.com",
});

describe("createOriginCheck (CSRF)", () => {
  const check = createOriginCheck();

  it("lets safe methods through whatever their origin", () => {
    for (const method of ["GET", "head", "OPTIONS"]) {
      expect(
        check({ method, origin: "https://evil.test", secFetchSite: "cross-site", host: "a" }),
      ).toBeNull();
    }
  });

  it("accepts an unsafe request the browser marks same-origin or user-initiated", () => {
    expect(check(post({ site: "same-origin", origin: "https://app.example.com" }))).toBeNull();
    expect(check(post({ site: "none" }))).toBeNull();
  });

  it("refuses an unsafe request the browser marks cross-site or same-site", () => {
    expect(check(post({ site: "cross-site", origin: "https://evil.test" }))).toBe("cross-site");
    expect(check(post({ site: "same-site", origin: "https://other.example.com" }))).toBe(
      "cross-site",
    );
  });

  it("compares Origin with the request host when Sec-Fetch-Site is missing", () => {
    expect(check(post({ origin: "https://app.example.com" }))).toBeNull();
    expect(check(post({ origin: "https://APP.example.com" }))).toBeNull();
    expect(check(post({ origin: "https://evil.test" }))).toBe("cross-site");
    expect(check(post({ origin: "https://app.example.com:8443" }))).toBe("cross-site");
    expect(check(post({ origin: "not a url" }))).toBe("cross-site");
  });

  it('refuses the opaque "null" origin of sandboxed frames', () => {
    expect(check(post({ origin: "null" }))).toBe("opaque-origin");
  });

  it("accepts non-browser clients that send neither Origin nor Sec-Fetch-Site", () => {
    expect(check(post({}))).toBeNull();
  });

  it("refuses Sec-Fetch-Site cross-site without an Origin", () => {
    expect(check(post({ site: "cross-site" }))).toBe("cross-site");
  });

  it("accepts listed origins and hosts, and only those", () => {
    const listed = createOriginCheck(["https://admin.example.com", "partner.test:8443"]);
    expect(listed(post({ site: "same-site", origin: "https://admin.example.com" }))).toBeNull();
    expect(listed(post({ site: "cross-site", origin: "https://partner.test:8443" }))).toBeNull();
    expect(listed(post({ site: "cross-site", origin: "http://admin.example.com" }))).toBe(
      "cross-site",
    );
    expect(listed(post({ site: "cross-site", origin: "https://partner.test" }))).toBe("cross-site");
  });

  it("rejects an allowlist entry that is not an origin or host", () => {
    expect(() => createOriginCheck(["https://app.example.com/path"])).toThrow(TesseraConfigError);
    expect(() => createOriginCheck(["not a host"])).toThrow(TesseraConfigError);
    expect(() => createOriginCheck([""])).toThrow(TesseraConfigError);
    expect(() => createOriginCheck("https://a.test" as unknown as string[])).toThrow(
      TesseraConfigError,
    );
  });
});

describe("readRequestSession", () => {
  const client = { ip: "203.0.113.9", userAgent: "curl/8.5.0" };
  const setup = (now = { t: Date.now() }) => {
    const sessions = createSessions({
      store: new MemoryStore({ now: () => now.t }),
      rotation: { interval: 60, grace: 10 },
      now: () => now.t,
    });
    return { sessions, now };
  };

  it("answers no session and writes nothing for a request without a token", async () => {
    const { sessions } = setup();
    const found = await readRequestSession(sessions, { cookie: null, authorization: null }, client);
    expect(found).toEqual({
      session: null,
      source: null,
      token: null,
      reason: null,
      setCookie: null,
      rotatedToken: null,
    });
  });

  it("finds a cookie session and writes no cookie when nothing rotated", async () => {
    const { sessions } = setup();
    const { token } = await sessions.create({ userId: "u1", client });
    const found = await readRequestSession(
      sessions,
      { cookie: `${sessions.cookie.name}=${token}`, authorization: null },
      client,
    );
    expect(found.session?.userId).toBe("u1");
    expect(found.source).toBe("cookie");
    expect(found.token).toBe(token);
    expect(found.setCookie).toBeNull();
  });

  it("sets the rotated cookie for a cookie client, the rotated header for a bearer client", async () => {
    const { sessions, now } = setup();
    const a = await sessions.create({ userId: "u1", client });
    const b = await sessions.create({ userId: "u2", client });
    now.t += 61_000;
    const byCookie = await readRequestSession(
      sessions,
      { cookie: `${sessions.cookie.name}=${a.token}`, authorization: null },
      client,
    );
    expect(byCookie.token).not.toBe(a.token);
    expect(byCookie.setCookie).toBe(
      sessions.cookie.serialize(byCookie.token!, byCookie.session!.expiresAt),
    );
    expect(byCookie.rotatedToken).toBeNull();
    const byBearer = await readRequestSession(
      sessions,
      { cookie: null, authorization: `Bearer ${b.token}` },
      client,
    );
    expect(byBearer.source).toBe("bearer");
    expect(byBearer.rotatedToken).toBe(byBearer.token);
    expect(byBearer.rotatedToken).not.toBe(b.token);
    expect(byBearer.setCookie).toBeNull();
  });

  it("clears a cookie that names no live session, and says why", async () => {
    const { sessions } = setup();
    const { session, token } = await sessions.create({ userId: "u1", client });
    await sessions.revoke(session.id);
    const found = await readRequestSession(
      sessions,
      { cookie: `${sessions.cookie.name}=${token}`, authorization: null },
      client,
    );
    expect(found.session).toBeNull();
    expect(found.reason).toBe("not-found");
    expect(found.setCookie).toBe(sessions.cookie.blank());
  });
});

describe("guardSession", () => {
  it("answers 401 without a session, with the refusal reason", () => {
    expect(guardSession({ session: null, reason: null }, false)).toEqual({
      status: 401,
      body: { error: "unauthenticated" },
    });
    expect(guardSession({ session: null, reason: "reused" }, true)).toEqual({
      status: 401,
      body: { error: "unauthenticated", reason: "reused" },
    });
  });

  it("answers 403 for a stale session where freshness is required", async () => {
    const sessions = createSessions({ store: new MemoryStore(), freshFor: 0 });
    const { session } = await sessions.create({ userId: "u1" });
    expect(guardSession({ session, reason: null }, false)).toBeNull();
    expect(guardSession({ session, reason: null }, true)).toEqual({
      status: 403,
      body: { error: "not-fresh" },
    });
  });
});

describe("crossSiteAnswer", () => {
  it("answers 403 with the refusal reason", () => {
    expect(crossSiteAnswer("opaque-origin")).toEqual({
      status: 403,
      body: { error: "cross-site-request", reason: "opaque-origin" },
    });
  });
});

describe("storeFailureAnswer", () => {
  const unavailable = { status: 503, body: { error: "store-unavailable" } };

  it("answers 503 for a store outage and for a write that kept losing its race", () => {
    expect(storeFailureAnswer(new StoreUnavailableError("down"))).toEqual(unavailable);
    expect(storeFailureAnswer(new SessionConflictError("busy"))).toEqual(unavailable);
  });

  it("recognises the errors of another copy of core by name and code", () => {
    const foreign = Object.assign(new Error("down"), {
      name: "StoreUnavailableError",
      code: "store-unavailable",
    });
    expect(storeFailureAnswer(foreign)).toEqual(unavailable);
  });

  it("leaves every other error to the application", () => {
    expect(storeFailureAnswer(new InvalidArgumentError("bad"))).toBeNull();
    expect(storeFailureAnswer(new TesseraConfigError("bad"))).toBeNull();
    expect(storeFailureAnswer(Object.assign(new Error("x"), { code: "conflict" }))).toBeNull();
    expect(storeFailureAnswer(new Error("store-unavailable"))).toBeNull();
    expect(storeFailureAnswer("StoreUnavailableError")).toBeNull();
    expect(storeFailureAnswer(null)).toBeNull();
    expect(storeFailureAnswer(undefined)).toBeNull();
  });
});

describe("isSessions", () => {
  it("recognises a session manager by shape and refuses anything else", () => {
    expect(isSessions(createSessions({ store: new MemoryStore() }))).toBe(true);
    for (const value of [null, undefined, {}, new MemoryStore(), { validate() {} }, "sessions"]) {
      expect(isSessions(value)).toBe(false);
    }
  });
});
