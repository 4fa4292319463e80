import { TesseraConfigError } from "@tessera/core";
import { NextRequest, NextResponse } from "next/server.js";
import { describe, expect, it } from "vitest";
import { FORWARDED_SESSION_HEADER, tesseraProxy } from "../src/index.js";
import { nextGate } from "../src/request.js";
import {
  BROWSER,
  forwardedRequestHeaders,
  ORIGIN,
  sameOrigin,
  sessionCookies,
  setup,
} from "./helpers.js";

function request(path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return new NextRequest(`${ORIGIN}${path}`, {
    method: init.method ?? "GET",
    headers: { host: "app.example.com", ...BROWSER, ...sameOrigin(init), ...init.headers },
  });
}

describe("tesseraProxy", () => {
  it("validates once and forwards a signed verdict the render can verify", async () => {
    const { sessions, calls, resetCalls, login, cookieHeader } = setup();
    const { session, token } = await login();
    const proxy = tesseraProxy(sessions);
    resetCalls();
    const response = await proxy(request("/devices", { headers: { cookie: cookieHeader(token) } }));
    expect(calls.reads).toBe(1);
    expect(response.headers.get("x-middleware-next")).toBe("1");
    expect(response.headers.getSetCookie()).toEqual([]); // nothing due: no cookie
    const forwarded = forwardedRequestHeaders(response);
    expect(forwarded.get("cookie")).toBe(cookieHeader(token)); // other headers pass unchanged
    const verdict = await nextGate(sessions).verdict(forwarded);
    expect(verdict).toMatchObject({ status: "verified", reason: null });
    expect(verdict.status === "verified" && verdict.session).toMatchObject({
      id: session.id,
      userId: "alice",
      fresh: true,
    });
    expect(calls.reads).toBe(1); // reading the verdict costs no store call
  });

  it("sets the rotated cookie through NextResponse.cookies, so the render reads it too", async () => {
    const { sessions, clock, login, cookieHeader } = setup();
    const { session, token } = await login();
    clock.now += 61_000;
    const response = await tesseraProxy(sessions)(
      request("/devices", { headers: { cookie: cookieHeader(token) } }),
    );
    const [rotated] = sessionCookies(response, sessions.cookie.name);
    expect(rotated).toMatch(new RegExp(`^${session.id}\\.`));
    expect(rotated).not.toBe(token);
    expect(response.headers.get("x-middleware-set-cookie")).toContain(`=${rotated};`);
    const line = response.headers.getSetCookie()[0]!;
    expect(line).toMatch(/; Secure/);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=lax/i);
    expect(line).toMatch(/; Max-Age=604800;/); // the rotation also renewed the 7-day idle expiry
  });

  it("replaces a forwarded-session header sent by the client", async () => {
    const { sessions } = setup();
    const forged = "v1.e30.AAAA";
    const response = await tesseraProxy(sessions)(
      request("/devices", { headers: { [FORWARDED_SESSION_HEADER]: forged } }),
    );
    const forwarded = forwardedRequestHeaders(response);
    expect(forwarded.get(FORWARDED_SESSION_HEADER)).not.toBe(forged);
    const verdict = await nextGate(sessions).verdict(forwarded);
    expect(verdict).toMatchObject({ status: "verified", session: null, reason: null, token: null });
  });

  it("clears a cookie naming no live session and forwards why", async () => {
    const { sessions, login, cookieHeader } = setup();
    const { session, token } = await login();
    await sessions.revoke(session.id);
    const response = await tesseraProxy(sessions)(
      request("/devices", { headers: { cookie: cookieHeader(token) } }),
    );
    expect(sessionCookies(response, sessions.cookie.name)).toEqual([""]);
    expect(response.headers.getSetCookie()[0]).toMatch(/Expires=Thu, 01 Jan 1970/);
    const verdict = await nextGate(sessions).verdict(forwardedRequestHeaders(response));
    expect(verdict).toMatchObject({ status: "verified", session: null, reason: "not-found" });
  });

  it("sends bearer clients their rotated token in the tessera-token header", async () => {
    const { sessions, clock, login } = setup();
    const { session, token } = await login();
    clock.now += 61_000;
    const response = await tesseraProxy(sessions)(
      request("/api/me", { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(response.headers.get("tessera-token")).toMatch(new RegExp(`^${session.id}\\.`));
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a cross-site unsafe request with 403 before touching the store", async () => {
    const { sessions, calls, resetCalls, login, cookieHeader } = setup();
    const { token } = await login();
    resetCalls();
    const proxy = tesseraProxy(sessions);
    const forged = await proxy(
      request("/settings", {
        method: "POST",
        headers: { cookie: cookieHeader(token), origin: "https://evil.test" },
      }),
    );
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error: "cross-site-request", reason: "cross-site" });
    expect(calls.reads).toBe(0);
    const sameSite = await proxy(
      request("/settings", {
        method: "POST",
        headers: { cookie: cookieHeader(token), origin: ORIGIN, "sec-fetch-site": "same-origin" },
      }),
    );
    expect(sameSite.headers.get("x-middleware-next")).toBe("1");
  });

  it("compares the Origin with X-Forwarded-Host only with trustedProxies", async () => {
    const { sessions } = setup();
    const proxy = tesseraProxy(sessions, { trustedProxies: 1 });
    const behindProxy = await proxy(
      request("/settings", {
        method: "POST",
        headers: {
          host: "internal:3000",
          "x-forwarded-host": "app.example.com",
          "x-forwarded-proto": "https",
          origin: ORIGIN,
        },
      }),
    );
    expect(behindProxy.status).toBe(200);
    const mismatch = await proxy(
      request("/settings", { method: "POST", headers: { host: "internal:3000", origin: ORIGIN } }),
    );
    expect(mismatch.status).toBe(403);
    const untrusted = await tesseraProxy(sessions)(
      request("/settings", {
        method: "POST",
        headers: { host: "internal:3000", "x-forwarded-host": "app.example.com", origin: ORIGIN },
      }),
    );
    expect(untrusted.status).toBe(403);
  });

  it("takes the scheme of its own origin from X-Forwarded-Proto only with trustedProxies", async () => {
    const { sessions, login, cookieHeader } = setup();
    const { token } = await login();
    // NextRequest's URL is https (as `next start` builds it from a client's X-Forwarded-Proto);
    // the connection is plain http, so an https Origin is another origin.
    const post = (headers: Record<string, string>) =>
      request("/settings", {
        method: "POST",
        headers: { cookie: cookieHeader(token), origin: ORIGIN, ...headers },
      });
    expect((await tesseraProxy(sessions)(post({}))).status).toBe(403);
    const spoofed = post({ "x-forwarded-proto": "https" });
    expect((await tesseraProxy(sessions)(spoofed)).status).toBe(403);
    const proxied = tesseraProxy(sessions, { trustedProxies: 1 });
    expect((await proxied(post({ "x-forwarded-proto": "https" }))).status).toBe(200);
    expect((await proxied(post({}))).status).toBe(403); // the proxy said nothing: http
  });

  it("writes a browser-session cookie (no Max-Age, no Expires) with persistent: false", async () => {
    const { sessions, clock, login, cookieHeader } = setup({ cookie: { persistent: false } });
    const { token } = await login();
    clock.now += 61_000;
    const response = await tesseraProxy(sessions)(
      request("/devices", { headers: { cookie: cookieHeader(token) } }),
    );
    const [line, ...rest] = response.headers.getSetCookie();
    expect(rest).toEqual([]);
    expect(line).toMatch(/^__Host-session=[a-z2-7.]{57}; Path=\/; Secure; HttpOnly; SameSite=lax$/);
    // What Next.js hands the render of the same request: the same cookie, not a deleting one.
    expect(response.headers.get("x-middleware-set-cookie")).toBe(line);
  });

  it("accepts listed origins, and no check at all with csrf: false", async () => {
    const { sessions } = setup();
    const crossSite = request("/hook", {
      method: "POST",
      headers: { origin: "https://partner.test", "sec-fetch-site": "cross-site" },
    });
    expect((await tesseraProxy(sessions)(crossSite)).status).toBe(403);
    const listed = tesseraProxy(sessions, { allowedOrigins: ["https://partner.test"] });
    expect((await listed(crossSite)).status).toBe(200);
    const unchecked = tesseraProxy(sessions, { csrf: false });
    expect((await unchecked(crossSite)).status).toBe(200);
  });

  it("answers 503, not a logout, when the store is down, and keeps the cookie", async () => {
    const { sessions, setStore, login, cookieHeader } = setup({ storeTimeout: 200 });
    const { token } = await login();
    setStore("down");
    const response = await tesseraProxy(sessions)(
      request("/devices", { headers: { cookie: cookieHeader(token) } }),
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "store-unavailable" });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("lets `handle` answer (a redirect) and still delivers the rotated cookie", async () => {
    const { sessions, clock, login, cookieHeader } = setup();
    const { token } = await login();
    clock.now += 61_000;
    const proxy = tesseraProxy(sessions, {
      handle: (req, { session }) =>
        req.nextUrl.pathname === "/login" && session
          ? NextResponse.redirect(new URL("/devices", req.url))
          : undefined,
    });
    const response = await proxy(request("/login", { headers: { cookie: cookieHeader(token) } }));
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe(`${ORIGIN}/devices`);
    expect(sessionCookies(response, sessions.cookie.name)).toHaveLength(1);
  });

  it("adds the cookie to an immutable Response returned by `handle`", async () => {
    const { sessions, login, cookieHeader } = setup();
    const { session, token } = await login();
    await sessions.revoke(session.id);
    const proxy = tesseraProxy(sessions, {
      handle: () => Response.redirect(`${ORIGIN}/login`, 303),
    });
    const response = await proxy(request("/devices", { headers: { cookie: cookieHeader(token) } }));
    expect(response.status).toBe(303);
    expect(sessionCookies(response, sessions.cookie.name)).toEqual([""]);
  });

  it("passes `handle` the headers to forward for rewrites", async () => {
    const { sessions, login, cookieHeader } = setup();
    const { session, token } = await login();
    const proxy = tesseraProxy(sessions, {
      handle: (req, { requestHeaders }) =>
        NextResponse.rewrite(new URL("/v2/devices", req.url), {
          request: { headers: requestHeaders },
        }),
    });
    const response = await proxy(request("/devices", { headers: { cookie: cookieHeader(token) } }));
    const verdict = await nextGate(sessions).verdict(forwardedRequestHeaders(response));
    expect(verdict.status === "verified" && verdict.session?.id).toBe(session.id);
  });

  it("rejects invalid options at construction", () => {
    const { sessions } = setup();
    expect(() => tesseraProxy(sessions, { secret: "short" })).toThrow(TesseraConfigError);
    expect(() => tesseraProxy(sessions, { allowedOrigins: ["not an origin"] })).toThrow(
      TesseraConfigError,
    );
    expect(() => tesseraProxy({} as never)).toThrow(TesseraConfigError);
  });
});
