import { StoreUnavailableError, TesseraConfigError } from "@tessera/core";
import { NextRequest } from "next/server.js";
import { describe, expect, it } from "vitest";
import { FORWARDED_SESSION_HEADER, tesseraProxy, withSession } from "../src/index.js";
import {
  BROWSER,
  forwardedRequestHeaders,
  ORIGIN,
  sameOrigin,
  sessionCookies,
  setup,
} from "./helpers.js";

function request(path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  return new Request(`${ORIGIN}${path}`, {
    method: init.method ?? "GET",
    headers: { host: "app.example.com", ...BROWSER, ...sameOrigin(init), ...init.headers },
  });
}

/** The request as a route handler sees it after the proxy ran. */
async function throughProxy(proxy: ReturnType<typeof tesseraProxy>, req: Request) {
  const response = await proxy(new NextRequest(req));
  return {
    response,
    request: new Request(req.url, {
      method: req.method,
      headers: forwardedRequestHeaders(response),
    }),
  };
}

const echo = withSessionEcho();
function withSessionEcho() {
  return (s: Parameters<typeof withSession>[0], options?: Parameters<typeof withSession>[2]) =>
    withSession(
      s,
      async (_request, { session }) =>
        Response.json({ userId: session?.userId ?? null, fresh: session?.fresh ?? null }),
      options,
    );
}

describe("withSession", () => {
  it("validates by itself on a route the proxy did not cover, rotating the cookie", async () => {
    const { sessions, clock, login, cookieHeader } = setup();
    const { session, token } = await login();
    clock.now += 61_000;
    const response = await echo(sessions)(
      request("/api/me", { headers: { cookie: cookieHeader(token) } }),
      undefined,
    );
    expect(await response.json()).toEqual({ userId: "alice", fresh: true });
    const [rotated] = sessionCookies(response, sessions.cookie.name);
    expect(rotated).toMatch(new RegExp(`^${session.id}\\.`));
    expect(rotated).not.toBe(token);
  });

  it("uses the proxy's verdict without a second store read", async () => {
    const { sessions, calls, resetCalls, login, cookieHeader } = setup();
    const { token } = await login();
    const forwarded = await throughProxy(
      tesseraProxy(sessions),
      request("/api/me", { headers: { cookie: cookieHeader(token) } }),
    );
    resetCalls();
    const response = await echo(sessions)(forwarded.request, undefined);
    expect(await response.json()).toEqual({ userId: "alice", fresh: true });
    expect(calls.reads).toBe(0);
  });

  it("does not trust a verdict signed for another session's token", async () => {
    const { sessions, login, cookieHeader } = setup();
    const alice = await login("alice");
    const bob = await login("bob");
    const { request: aliceForwarded } = await throughProxy(
      tesseraProxy(sessions),
      request("/api/me", { headers: { cookie: cookieHeader(alice.token) } }),
    );
    const verdict = aliceForwarded.headers.get(FORWARDED_SESSION_HEADER)!;
    // Alice's genuine verdict replayed next to Bob's cookie: ignored, Bob's cookie is validated.
    const response = await echo(sessions)(
      request("/api/me", {
        headers: { cookie: cookieHeader(bob.token), [FORWARDED_SESSION_HEADER]: verdict },
      }),
      undefined,
    );
    expect(await response.json()).toMatchObject({ userId: "bob" });
  });

  it("takes a guest from the proxy's verdict only next to that guest's cookie", async () => {
    const { sessions, calls, resetCalls, cookieHeader } = setup();
    const cart = await sessions.createGuest({ data: { cart: ["sku-1"] } });
    const other = await sessions.createGuest({ data: { cart: [] } });
    const { request: forwarded } = await throughProxy(
      tesseraProxy(sessions),
      request("/api/cart", { headers: { cookie: cookieHeader(cart.token) } }),
    );
    const guestData = withSession(sessions, async (_request, tessera) =>
      Response.json({ guest: tessera.guest?.data ?? null, user: tessera.session?.userId ?? null }),
    );
    resetCalls();
    const response = await guestData(forwarded, undefined);
    expect(await response.json()).toEqual({ guest: { cart: ["sku-1"] }, user: null });
    expect(calls.reads).toBe(0);
    // The same verdict next to another guest's cookie: ignored, that cookie is validated.
    const replayed = await guestData(
      request("/api/cart", {
        headers: {
          cookie: cookieHeader(other.token),
          [FORWARDED_SESSION_HEADER]: forwarded.headers.get(FORWARDED_SESSION_HEADER)!,
        },
      }),
      undefined,
    );
    expect(await replayed.json()).toEqual({ guest: { cart: [] }, user: null });
  });

  it("ignores a forged verdict and validates the request itself", async () => {
    const { sessions } = setup();
    const response = await echo(sessions, { require: "session" })(
      request("/api/me", { headers: { [FORWARDED_SESSION_HEADER]: "v1.e30.AAAA" } }),
      undefined,
    );
    expect(response.status).toBe(401);
  });

  it("answers 401 without a session, with the reason a token was refused", async () => {
    const { sessions, login, cookieHeader } = setup();
    const handler = echo(sessions, { require: "session" });
    const anonymous = await handler(request("/api/me"), undefined);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: "unauthenticated" });

    const { session, token } = await login();
    await sessions.revoke(session.id);
    const revoked = await handler(
      request("/api/me", { headers: { cookie: cookieHeader(token) } }),
      undefined,
    );
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ error: "unauthenticated", reason: "not-found" });
    expect(sessionCookies(revoked, sessions.cookie.name)).toEqual([""]);
  });

  it("keeps the refusal reason when the verdict came from the proxy", async () => {
    const { sessions, login, cookieHeader } = setup();
    const { session, token } = await login();
    await sessions.revoke(session.id);
    const { request: forwarded } = await throughProxy(
      tesseraProxy(sessions),
      request("/api/me", { headers: { cookie: cookieHeader(token) } }),
    );
    const response = await echo(sessions, { require: "session" })(forwarded, undefined);
    expect(await response.json()).toEqual({ error: "unauthenticated", reason: "not-found" });
  });

  it("answers 403 not-fresh when a fresh session is required and the login is old", async () => {
    const { sessions, clock, login, cookieHeader } = setup({ freshFor: 300 });
    const { token } = await login();
    const handler = echo(sessions, { require: "fresh" });
    const fresh = await handler(
      request("/api/pay", { method: "POST", headers: { cookie: cookieHeader(token) } }),
      undefined,
    );
    expect(fresh.status).toBe(200);
    clock.now += 301_000;
    const stale = await handler(
      request("/api/pay", { method: "POST", headers: { cookie: cookieHeader(token) } }),
      undefined,
    );
    expect(stale.status).toBe(403);
    expect(await stale.json()).toEqual({ error: "not-fresh" });
  });

  it("refuses a cross-site POST with 403 and never runs the handler", async () => {
    const { sessions, login, cookieHeader } = setup();
    const { token } = await login();
    let ran = false;
    const handler = withSession(sessions, async () => {
      ran = true;
      return Response.json({ ok: true });
    });
    const forged = await handler(
      request("/api/profile", {
        method: "POST",
        headers: { cookie: cookieHeader(token), origin: "https://evil.test" },
      }),
      undefined,
    );
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error: "cross-site-request", reason: "cross-site" });
    expect(ran).toBe(false);
    const opaque = await handler(
      request("/api/profile", { method: "POST", headers: { origin: "null" } }),
      undefined,
    );
    expect(await opaque.json()).toEqual({ error: "cross-site-request", reason: "opaque-origin" });
  });

  it("login sets the cookie, returns the token once and ends the previous session", async () => {
    const { sessions, login, cookieHeader } = setup();
    const previous = await login();
    const handler = withSession(sessions, async (_request, tessera) => {
      const { session, token } = await tessera.login({ userId: "alice", data: { role: "member" } });
      expect(tessera.session?.id).toBe(session.id);
      return Response.json({ token });
    });
    const response = await handler(
      request("/api/login", { method: "POST", headers: { cookie: cookieHeader(previous.token) } }),
      undefined,
    );
    const { token } = (await response.json()) as { token: string };
    expect(sessionCookies(response, sessions.cookie.name)).toEqual([token]);
    expect(await sessions.find(previous.session.id)).toBeNull();
    const created = await sessions.find(token.split(".")[0]!);
    expect(created?.data).toEqual({ role: "member" });
    // Next.js exposes no socket address, and X-Forwarded-For counts only with trustedProxies.
    expect(created?.client.ip).toBeUndefined();
    expect(created?.client.browser).toBe("chrome 131");
  });

  it("logout ends the session and clears the cookie, even after a rotation", async () => {
    const { sessions, clock, login, cookieHeader } = setup();
    const { session, token } = await login();
    clock.now += 61_000; // this request rotates first, then logs out
    const handler = withSession(sessions, async (_request, tessera) =>
      Response.json({ ended: await tessera.logout(), session: tessera.session }),
    );
    const response = await handler(
      request("/api/logout", { method: "POST", headers: { cookie: cookieHeader(token) } }),
      undefined,
    );
    expect(await response.json()).toEqual({ ended: true, session: null });
    expect(sessionCookies(response, sessions.cookie.name)).toEqual([""]);
    expect(await sessions.find(session.id)).toBeNull();
  });

  it("logoutEverywhere ends every session of the user, or all but this one", async () => {
    const { sessions, login, cookieHeader } = setup();
    const phone = await login();
    const laptop = await login();
    const tablet = await login();
    const bob = await login("bob");
    const keep = withSession(sessions, async (_request, tessera) =>
      Response.json({ count: await tessera.logoutEverywhere({ keepCurrent: true }) }),
    );
    const kept = await keep(
      request("/api/others", { method: "POST", headers: { cookie: cookieHeader(phone.token) } }),
      undefined,
    );
    expect(await kept.json()).toEqual({ count: 2 });
    expect(kept.headers.getSetCookie()).toEqual([]);
    expect(await sessions.find(laptop.session.id)).toBeNull();
    expect(await sessions.find(tablet.session.id)).toBeNull();
    expect(await sessions.find(phone.session.id)).not.toBeNull();

    const all = withSession(sessions, async (_request, tessera) =>
      Response.json({ count: await tessera.logoutEverywhere() }),
    );
    const ended = await all(
      request("/api/all", { method: "POST", headers: { cookie: cookieHeader(phone.token) } }),
      undefined,
    );
    expect(await ended.json()).toEqual({ count: 1 });
    expect(sessionCookies(ended, sessions.cookie.name)).toEqual([""]);
    expect(await sessions.find(bob.session.id)).not.toBeNull(); // other users untouched
  });

  it("answers 503 when the store fails during validation or inside the handler", async () => {
    const { sessions, setStore, login, cookieHeader } = setup({ storeTimeout: 200 });
    const { token } = await login();
    setStore("down");
    const validating = await echo(sessions)(
      request("/api/me", { headers: { cookie: cookieHeader(token) } }),
      undefined,
    );
    expect(validating.status).toBe(503);
    expect(await validating.json()).toEqual({ error: "store-unavailable" });

    const handler = withSession(sessions, async () => {
      throw new StoreUnavailableError("down");
    });
    const inHandler = await handler(request("/api/me"), undefined);
    expect(inHandler.status).toBe(503);
  });

  it("lets other errors of the handler through", async () => {
    const { sessions } = setup();
    const handler = withSession(sessions, async () => {
      throw new RangeError("bug");
    });
    await expect(handler(request("/api/me"), undefined)).rejects.toThrow(RangeError);
  });

  it("passes Next's context argument through to the handler", async () => {
    const { sessions } = setup();
    const handler = withSession(
      sessions,
      async (_request, _tessera, context: { params: Promise<{ id: string }> }) =>
        Response.json(await context.params),
    );
    const response = await handler(request("/api/items/7"), {
      params: Promise.resolve({ id: "7" }),
    });
    expect(await response.json()).toEqual({ id: "7" });
  });

  it("rejects an unknown require option", () => {
    const { sessions } = setup();
    expect(() =>
      withSession(sessions, async () => new Response(), { require: "admin" as never }),
    ).toThrow(TesseraConfigError);
  });
});
