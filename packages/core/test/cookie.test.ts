import { describe, expect, it } from "vitest";
import { cookieValues, createSessionCookie, parseBearer } from "../src/cookie.js";
import { TesseraConfigError } from "../src/errors.js";

const at = 1_700_000_000_000;
const now = () => at;

describe("session cookie", () => {
  it("defaults to __Host-session; HttpOnly; Secure; SameSite=Lax; Path=/", () => {
    const cookie = createSessionCookie({}, 1800, now);
    expect(cookie.name).toBe("__Host-session");
    expect(cookie.serialize("tok")).toBe(
      "__Host-session=tok; Max-Age=1800; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  it("sets Max-Age to the time left until the given expiry", () => {
    const cookie = createSessionCookie({}, 1800, now);
    expect(cookie.serialize("tok", new Date(at + 90_500))).toContain("Max-Age=90;");
    expect(cookie.serialize("tok", at - 5000)).toContain("Max-Age=0;");
  });

  it("uses the plain name `session` without Secure for http development", () => {
    const cookie = createSessionCookie({ secure: false }, 60, now);
    expect(cookie.name).toBe("session");
    expect(cookie.serialize("tok")).toBe("session=tok; Max-Age=60; Path=/; HttpOnly; SameSite=Lax");
  });

  it("uses __Secure- when a domain is shared", () => {
    const cookie = createSessionCookie({ domain: "example.com" }, 60, now);
    expect(cookie.name).toBe("__Secure-session");
    expect(cookie.serialize("t")).toContain("; Domain=example.com;");
  });

  it("omits Max-Age with persistent: false, so the cookie ends with the browser", () => {
    const cookie = createSessionCookie({ persistent: false }, 1800, now);
    expect(cookie.serialize("tok", new Date(at + 90_500))).toBe(
      "__Host-session=tok; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    expect(cookie.serialize("tok")).not.toContain("Max-Age");
    // Clearing still needs Max-Age=0.
    expect(cookie.blank()).toBe(
      "__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  it("blanks the cookie with the same attributes", () => {
    expect(createSessionCookie({}, 60, now).blank()).toBe(
      "__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  it.each([
    [{ name: "__Host-x", secure: false }],
    [{ name: "__Host-x", path: "/app" }],
    [{ secure: false, sameSite: "none" as const }],
    [{ name: "bad name" }],
    [{ name: "__Secure-x", secure: false }],
    [{ path: "relative" }],
    [{ domain: "evil.com; HttpOnly" }],
    [{ sameSite: "sometimes" as never }],
    [{ persistent: "no" as never }],
  ])("refuses unsafe or impossible settings %j", (options) => {
    expect(() => createSessionCookie(options, 60, now)).toThrow(TesseraConfigError);
  });

  it("reads its value from a Cookie header among others", () => {
    const cookie = createSessionCookie({}, 60, now);
    expect(cookie.parse("a=1; __Host-session=abc.def; b=2")).toBe("abc.def");
    expect(cookie.parse('__Host-session="quoted"')).toBe("quoted");
    expect(cookie.parse("session=abc")).toBeNull();
    expect(cookie.parse("")).toBeNull();
    expect(cookie.parse(undefined)).toBeNull();
    expect(cookie.parse(`x=${"a".repeat(20_000)}`)).toBeNull();
  });
});

describe("every value of one cookie in a Cookie header (what the gate reads)", () => {
  it("matches the name exactly: no prefix, suffix or other case", () => {
    const header = "xsession=1; session=2; sessionx=3; Session=4; session_=5";
    expect(cookieValues(header, "session")).toEqual(["2"]);
    expect(cookieValues(header, "sessio")).toEqual([]);
    expect(cookieValues("a=1; b=2", "session")).toEqual([]);
  });

  it("reads names around spaces and tabs, and values around spaces and quotes", () => {
    expect(cookieValues(" session =2;\tsession\t= 3 ", "session")).toEqual(["2", "3"]);
    expect(cookieValues("\u00a0session=5", "session")).toEqual(["5"]);
    expect(cookieValues("session\u00a0=6", "session")).toEqual(["6"]);
    expect(cookieValues('session="quoted"; session=""; session="', "session")).toEqual([
      "quoted",
      "",
      '"',
    ]);
  });

  it("skips pairs without a value sign, and a sign that belongs to a later pair", () => {
    expect(cookieValues("session; session=1", "session")).toEqual(["1"]);
    expect(cookieValues("=x; session=1", "session")).toEqual(["1"]);
    expect(cookieValues("session;a=b", "session")).toEqual([]);
  });

  it("keeps every copy in header order up to the limit (cookie tossing shows several)", () => {
    const header = Array.from({ length: 6 }, (_, i) => `session=v${i}`).join("; ");
    expect(cookieValues(header, "session")).toEqual(["v0", "v1", "v2", "v3"]);
    expect(cookieValues(header, "session", 2)).toEqual(["v0", "v1"]);
    expect(cookieValues(header, "session", 10)).toHaveLength(6);
  });

  it("reads nothing from an oversized header or a non-string", () => {
    const big = `session=1; x=${"a".repeat(16 * 1024)}`;
    expect(cookieValues(big, "session")).toEqual([]);
    expect(cookieValues(big.slice(0, 16 * 1024), "session")).toEqual(["1"]);
    expect(cookieValues(undefined, "session")).toEqual([]);
    expect(cookieValues(null, "session")).toEqual([]);
  });
});

describe("bearer tokens", () => {
  it("reads Authorization: Bearer <token>, case-insensitively", () => {
    expect(parseBearer("Bearer abc.def")).toBe("abc.def");
    expect(parseBearer("bearer   abc.def")).toBe("abc.def");
  });

  it("ignores other schemes, junk and oversized headers", () => {
    expect(parseBearer("Basic dXNlcjpwYXNz")).toBeNull();
    expect(parseBearer("Bearer")).toBeNull();
    expect(parseBearer("Bearer a b")).toBeNull();
    expect(parseBearer(`Bearer ${"a".repeat(600)}`)).toBeNull();
    expect(parseBearer(null)).toBeNull();
  });
});
