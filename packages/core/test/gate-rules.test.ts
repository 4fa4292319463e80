/**
 * Rules of the gate and of the DBSC record state that a mutation run (`pnpm mutate`) showed no
 * test would miss: each test is named after its rule.
 */
import { describe, expect, it } from "vitest";
import {
  addBoundCookie,
  addChallenge,
  deviceBindingOf,
  liveChallenge,
  spendChallenge,
} from "../src/device-binding.js";
import {
  notFreshAnswer,
  storeUnavailableAnswer,
  unauthenticatedAnswer,
} from "../src/http/answers.js";
import { clientOf, ownOrigin, type RequestFacts, readHeader } from "../src/http/facts.js";
import { createOriginCheck, normaliseOrigin } from "../src/http/origin.js";
import { TesseraConfigError } from "../src/index.js";
import type { SessionRecord } from "../src/store/record.js";

const facts = (headers: Record<string, string>, extra: Partial<RequestFacts> = {}) =>
  ({ method: "GET", header: (name: string) => headers[name], ...extra }) as RequestFacts;

describe("csrf-rule: allowedOrigins entries are origins or hosts, nothing else", () => {
  it("refuses entries that are not a bare origin or a host[:port]", () => {
    for (const entry of [
      "",
      "a".repeat(256),
      "evil/a.test",
      "a.test/evil",
      "a.test:port",
      "https://a.test/path",
      "https://a.test?x=1",
      "not a url://x",
      42,
    ]) {
      expect(() => createOriginCheck([entry as string]), String(entry)).toThrow(TesseraConfigError);
    }
    expect(() => createOriginCheck("https://a.test" as never)).toThrow(TesseraConfigError);
  });

  it("accepts a host with or without a port, and an origin with or without its slash", () => {
    const check = createOriginCheck(["a.test", "b.test:8443", "https://c.test/"], {
      secureCookie: false,
    });
    const from = (origin: string) =>
      check({
        method: "POST",
        origin,
        secFetchSite: "same-site",
        ownOrigin: () => "https://app.test",
        hasSessionCookie: true,
      });
    expect(from("http://a.test")).toBeNull();
    expect(from("https://b.test:8443")).toBeNull();
    expect(from("https://c.test")).toBeNull();
    expect(from("https://b.test")).toBe("cross-site");
  });
});

describe("csrf-rule: what the browser says wins, and safe methods always pass", () => {
  const check = createOriginCheck();
  const request = (overrides: Partial<Parameters<typeof check>[0]>) =>
    check({
      method: "POST",
      origin: "https://app.test",
      secFetchSite: null,
      ownOrigin: () => "https://app.test",
      hasSessionCookie: true,
      ...overrides,
    });

  it("lets HEAD, OPTIONS and TRACE through from anywhere", () => {
    for (const method of ["HEAD", "options", "TRACE", "GET"]) {
      expect(
        request({ method, origin: "https://evil.test", secFetchSite: "cross-site" }),
      ).toBeNull();
    }
  });

  it("refuses a request the browser calls same-site or cross-site even when its Origin matches ours", () => {
    expect(request({ secFetchSite: "cross-site" })).toBe("cross-site");
    expect(request({ secFetchSite: "same-site" })).toBe("cross-site");
    expect(request({})).toBeNull();
  });

  it("refuses an Origin it cannot compare: no own origin known (no Host)", () => {
    expect(request({ ownOrigin: () => undefined })).toBe("cross-site");
  });

  it("reads an opaque origin (file:, sandboxed frames) as no origin at all", () => {
    expect(normaliseOrigin("file:///etc/passwd")).toBeNull();
    expect(normaliseOrigin("https://A.test:443")).toBe("https://a.test");
  });
});

describe("answers: the exact bytes every integration writes", () => {
  it("says unauthenticated, not-fresh and store-unavailable as JSON", () => {
    expect(unauthenticatedAnswer().body).toBe('{"error":"unauthenticated"}');
    expect(unauthenticatedAnswer("expired").body).toBe(
      '{"error":"unauthenticated","reason":"expired"}',
    );
    expect(notFreshAnswer().body).toBe('{"error":"not-fresh"}');
    expect(storeUnavailableAnswer().body).toBe('{"error":"store-unavailable"}');
    expect(storeUnavailableAnswer().status).toBe(503);
  });
});

describe("facts: what a request shows", () => {
  it("joins repeated headers and reads either form of headers", () => {
    expect(readHeader({ headers: { "x-a": ["1", "2"] } }, "x-a")).toBe("1, 2");
    expect(readHeader({ headers: { "x-a": "1" } }, "x-a")).toBe("1");
    expect(readHeader({}, "x-a")).toBeUndefined();
  });

  it("reads no proxy header without trustedProxies", () => {
    const request = facts(
      {
        "x-forwarded-for": "198.51.100.1",
        "x-forwarded-host": "evil.test",
        "x-forwarded-proto": "https",
        host: "App.Test",
      },
      { remoteAddress: "127.0.0.1" },
    );
    expect(clientOf(request, 0)).toEqual({ ip: "127.0.0.1" });
    expect(ownOrigin(request, 0)).toBe("http://app.test");
    expect(ownOrigin(request, 1)).toBe("https://evil.test");
  });

  it("records only the client fields the request has", () => {
    expect(Object.keys(clientOf(facts({}), 0))).toEqual([]);
    const full = clientOf(
      facts({ "user-agent": "UA" }, { remoteAddress: "::1", deviceId: "d1" }),
      0,
    );
    expect(full).toEqual({ ip: "::1", userAgent: "UA", deviceId: "d1" });
  });
});

describe("dbsc state: spent challenges, expiry at the instant, empty by default", () => {
  const empty = deviceBindingOf({ dbsc: null } as unknown as SessionRecord);

  it("starts empty for a record written before DBSC", () => {
    expect(empty).toEqual({
      key: null,
      challenges: [],
      spent: [],
      cookies: [],
      registeredAt: null,
    });
  });

  it("never hands out a spent challenge again, and remembers it once", () => {
    let binding = addChallenge(empty, "c1", 0, 1000);
    binding = spendChallenge(binding, "c1");
    expect(liveChallenge(binding, 1)).toBeNull();
    binding = spendChallenge(binding, "c1");
    expect(binding.spent).toEqual(["c1"]);
  });

  it("drops a challenge or bound cookie at the instant it expires", () => {
    const binding = addChallenge(addChallenge(empty, "old", 0, 10), "new", 10, 100);
    expect(binding.challenges.map((challenge) => challenge.value)).toEqual(["new"]);
    const cookies = addBoundCookie(addBoundCookie(empty, "h1", 10, 0), "h2", 100, 10);
    expect(cookies.cookies.map((cookie) => cookie.hash)).toEqual(["h2"]);
  });
});
