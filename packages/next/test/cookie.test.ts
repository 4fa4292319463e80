import { createSessions, MemoryStore } from "@tessera/core";
import { serializeCookie } from "@tessera/core/http";
import { NextResponse } from "next/server.js";
import { describe, expect, it } from "vitest";
import { nextCookie } from "../src/request.js";

const TOKEN = "abcdefghijklmnopqrstuvwx.abcdefghijklmnopqrstuvwxyz234567";

/** The Set-Cookie line Next.js writes for a cookie set through `NextResponse.cookies`. */
function throughNext(cookie: ReturnType<typeof nextCookie>): string {
  const response = NextResponse.next();
  response.cookies.set(cookie);
  const [line, ...rest] = response.headers.getSetCookie();
  expect(rest).toEqual([]);
  return line!;
}

describe("nextCookie", () => {
  it("carries every attribute of core's secure default cookie", () => {
    const sessions = createSessions({ store: new MemoryStore(), idleTimeout: 1800 });
    const cookie = nextCookie(sessions.cookie.issue(TOKEN));
    expect(cookie).toEqual({
      name: "__Host-session",
      value: TOKEN,
      maxAge: 1800,
      path: "/",
      httpOnly: true,
      secure: true,
      sameSite: "lax",
    });
    expect(throughNext(cookie)).toMatch(
      new RegExp(
        `^__Host-session=${TOKEN}; Path=/; Expires=[^;]+; Max-Age=1800; Secure; HttpOnly; SameSite=lax$`,
      ),
    );
  });

  it("keeps a domain, a strict SameSite and an insecure development cookie as configured", () => {
    const shared = createSessions({
      store: new MemoryStore(),
      cookie: { domain: "example.com", sameSite: "strict" },
    });
    expect(nextCookie(shared.cookie.issue(TOKEN))).toMatchObject({
      name: "__Secure-session",
      domain: "example.com",
      sameSite: "strict",
      secure: true,
    });
    const dev = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
    expect(nextCookie(dev.cookie.issue(TOKEN))).toMatchObject({
      name: "session",
      secure: false,
      httpOnly: true,
    });
  });

  it("leaves Max-Age and Expires out of a browser-session cookie (persistent: false)", () => {
    const sessions = createSessions({ store: new MemoryStore(), cookie: { persistent: false } });
    const issued = sessions.cookie.issue(TOKEN, Date.now() + 3_600_000);
    const cookie = nextCookie(issued);
    expect(cookie).not.toHaveProperty("maxAge");
    expect(cookie).not.toHaveProperty("expires");
    const line = throughNext(cookie);
    expect(line).toBe(`__Host-session=${TOKEN}; Path=/; Secure; HttpOnly; SameSite=lax`);
    expect(line).not.toMatch(/Max-Age|Expires/i);
    expect(serializeCookie(issued)).not.toMatch(/Max-Age|Expires/i); // the raw-header path agrees
  });

  it("makes a clearing cookie also expire at the epoch, which Next.js keeps across its jars", () => {
    const sessions = createSessions({ store: new MemoryStore() });
    const cookie = nextCookie(sessions.cookie.clear());
    expect(cookie).toMatchObject({ name: "__Host-session", value: "", maxAge: 0 });
    expect(cookie.expires).toEqual(new Date(0));
    expect(throughNext(cookie)).toMatch(/^__Host-session=; Path=\/; Expires=Thu, 01 Jan 1970/);
  });
});
