/**
 * The behaviour every HTTP entry (Web, Express 4 and 5, Hono) must show, over real HTTP. Each
 * framework's test mounts the same routes on a real server listening on a loopback port:
 *
 *   POST /login               creates a session for "alice" (the app's own login)
 *   POST /auth/token          tokenEndpoint
 *   GET  /.well-known/jwks.json  jwksEndpoint
 *   GET  /api/me              requireAccessToken, answers { sub, sid, role }
 *   POST /api/pay             requireAccessToken with checkRevocation
 */
import {
  type BindingOptions,
  createSessions,
  MemoryStore,
  type Sessions,
  type SessionsOptions,
} from "@tessera/core";
import { switchableStore } from "@tessera/test-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AccessTokenJwk,
  type AccessTokens,
  createAccessTokens,
  createVerifier,
  generateSigningKey,
  sessionRevocation,
  type TokenEndpointOptions,
  type Verifier,
} from "../src/index.js";
import { cookieValue } from "./helpers.js";

export interface AppDeps {
  sessions: Sessions;
  tokens: AccessTokens;
  verifier: Verifier;
  endpoint: Pick<TokenEndpointOptions, "claims" | "allowedOrigins" | "limits">;
}

export type StartApp = (deps: AppDeps) => Promise<{ url: string; close: () => Promise<void> }>;

const issuer = "https://auth.example.com";
const audience = "orders-api";
const COOKIE = "__Host-session";

export function describeHttpContract(name: string, start: StartApp) {
  describe(`${name}: token endpoint and downstream guard over HTTP`, () => {
    let clock = Date.now();
    let outage: ReturnType<typeof switchableStore>;
    let key: AccessTokenJwk;
    let url: string;
    let close: (() => Promise<void>) | undefined;
    let sessions: Sessions;

    async function stop() {
      const closing = close;
      close = undefined;
      await closing?.();
    }

    async function boot(
      options: {
        binding?: BindingOptions;
        rotation?: SessionsOptions["rotation"];
        limits?: TokenEndpointOptions["limits"];
      } = {},
    ) {
      await stop();
      outage = switchableStore(new MemoryStore({ now: () => clock }));
      sessions = createSessions({
        store: outage.store,
        now: () => clock,
        rotation: options.rotation ?? { interval: 300, grace: 30 },
        ...(options.binding ? { binding: options.binding } : {}),
      });
      key ??= await generateSigningKey("EdDSA");
      const tokens = createAccessTokens({ keys: [key], issuer, audience, now: () => clock });
      const verifier = createVerifier({
        jwks: tokens.jwks(),
        issuer,
        audience,
        now: () => clock,
        isRevoked: sessionRevocation(sessions),
      });
      const endpoint = {
        claims: (session: { data: Record<string, unknown> }) => ({ role: session.data["role"] }),
        allowedOrigins: ["https://app.example.com"],
        ...(options.limits !== undefined ? { limits: options.limits } : {}),
      } as AppDeps["endpoint"];
      ({ url, close } = await start({ sessions, tokens, verifier, endpoint }));
    }

    async function login(headers: Record<string, string> = {}) {
      const response = await fetch(`${url}/login`, { method: "POST", headers });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { token: string };
      return body.token;
    }

    /**
     * A call to the token endpoint as a same-origin page makes it: a cookie request carries
     * `Sec-Fetch-Site` (every current browser sends it) unless the test names its own.
     */
    function exchange(headers: Record<string, string>, method = "POST") {
      const browser =
        headers["cookie"] !== undefined &&
        headers["origin"] === undefined &&
        headers["sec-fetch-site"] === undefined;
      return fetch(`${url}/auth/token`, {
        method,
        headers: browser ? { ...headers, "sec-fetch-site": "same-origin" } : headers,
      });
    }

    async function accessToken(sessionToken: string): Promise<string> {
      const response = await exchange({ cookie: `${COOKIE}=${sessionToken}` });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    }

    beforeEach(async () => {
      clock = Date.now();
      await boot();
    });

    afterEach(stop);

    it("trades a session cookie for a Bearer access token that the service accepts", async () => {
      const session = await login();
      const response = await exchange({ cookie: `theme=dark; ${COOKIE}=${session}` });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("set-cookie")).toBeNull(); // nothing was due
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        token_type: "Bearer",
        expires_in: 300,
      });
      const me = await fetch(`${url}/api/me`, {
        headers: { authorization: `Bearer ${body["access_token"]}` },
      });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ sub: "alice", role: "member" });
    });

    it("trades a bearer session token too (mobile and CLI clients)", async () => {
      const session = await login();
      const response = await exchange({ authorization: `Bearer ${session}` });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(typeof body["access_token"]).toBe("string");
      expect(body["session_token"]).toBeUndefined();
    });

    it("sends the rotated session cookie along with the access token", async () => {
      const session = await login();
      clock += 301_000;
      const response = await exchange({ cookie: `${COOKIE}=${session}` });
      expect(response.status).toBe(200);
      const rotated = cookieValue(response.headers.get("set-cookie"), COOKIE);
      expect(rotated).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
      expect(rotated).not.toBe(session);
      expect((await exchange({ cookie: `${COOKIE}=${rotated}` })).status).toBe(200);
    });

    it("returns the rotated session token to a bearer client in tessera-token, as every route does", async () => {
      const session = await login();
      clock += 301_000;
      const response = await exchange({ authorization: `Bearer ${session}` });
      expect(response.status).toBe(200);
      const rotated = response.headers.get("tessera-token");
      expect(rotated).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(response.headers.get("cache-control")).toBe("private, no-store");
      const next = await exchange({ authorization: `Bearer ${rotated}` });
      expect(next.status).toBe(200);
    });

    it("answers 401 without a session, and 401 with a cleared cookie for an invalid one", async () => {
      const none = await exchange({});
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ error: "unauthenticated" });
      const forged = await exchange({ cookie: `${COOKIE}=${"a".repeat(24)}.${"b".repeat(32)}` });
      expect(forged.status).toBe(401);
      expect(await forged.json()).toEqual({ error: "unauthenticated", reason: "not-found" });
      expect(forged.headers.get("set-cookie")).toMatch(/^__Host-session=; Max-Age=0/);
    });

    it("refuses a revoked session at once", async () => {
      const session = await login();
      await fetch(`${url}/logout`, { method: "POST", headers: { cookie: `${COOKIE}=${session}` } });
      expect((await exchange({ cookie: `${COOKIE}=${session}` })).status).toBe(401);
    });

    it("answers 405 to anything but POST", async () => {
      const session = await login();
      const response = await exchange({ cookie: `${COOKIE}=${session}` }, "GET");
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    });

    it("refuses a cross-site request carrying the cookie, but not an allowed origin or a bearer client", async () => {
      const session = await login();
      const cookie = `${COOKIE}=${session}`;
      const crossSite = await exchange({ cookie, "sec-fetch-site": "cross-site" });
      expect(crossSite.status).toBe(403);
      expect(await crossSite.json()).toEqual({ error: "cross-site-request", reason: "cross-site" });
      const sameSite = await exchange({ cookie, "sec-fetch-site": "same-site" });
      expect(sameSite.status).toBe(403);
      const evilOrigin = await exchange({ cookie, origin: "https://evil.example" });
      expect(evilOrigin.status).toBe(403);
      expect((await exchange({ cookie, origin: "null" })).status).toBe(403);
      const sameOrigin = await exchange({ cookie, origin: url, "sec-fetch-site": "same-origin" });
      expect(sameOrigin.status).toBe(200);
      const ownHost = await exchange({ cookie, origin: url });
      expect(ownHost.status).toBe(200);
      const allowed = await exchange({
        cookie,
        origin: "https://app.example.com",
        "sec-fetch-site": "cross-site",
      });
      expect(allowed.status).toBe(200);
      // The gate's one rule: a page of another site is refused whatever credential it sends,
      // unless its origin is allowed; a bearer client outside a browser sends no such header.
      const crossSiteBearer = await exchange({
        authorization: `Bearer ${session}`,
        "sec-fetch-site": "cross-site",
      });
      expect(crossSiteBearer.status).toBe(403);
      expect((await exchange({ authorization: `Bearer ${session}` })).status).toBe(200);
    });

    it("refuses a cookie request with neither Origin nor Sec-Fetch-Site, as every unsafe route does", async () => {
      const session = await login();
      const response = await fetch(`${url}/auth/token`, {
        method: "POST",
        headers: { cookie: `${COOKIE}=${session}` },
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        error: "cross-site-request",
        reason: "missing-origin",
      });
      // A bearer client sends no cookie: it passes, as it does everywhere.
      const bearer = await fetch(`${url}/auth/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${session}` },
      });
      expect(bearer.status).toBe(200);
    });

    it("tries every session cookie of the name (cookie tossing), the valid one wins", async () => {
      const session = await login();
      const planted = `${"a".repeat(24)}.${"b".repeat(32)}`;
      const response = await exchange({ cookie: `${COOKIE}=${planted}; ${COOKIE}=${session}` });
      expect(response.status).toBe(200);
      expect(response.headers.get("set-cookie")).toBeNull();
    });

    it("never sells an access token for a copied cookie of a device-bound session", async () => {
      const session = await login();
      const id = session.split(".")[0]!;
      // The browser registered a device key (DBSC) for this session: from now on the session
      // works only with the short-lived cookie that key renews.
      const challenge = await sessions.device.offer(id, 60);
      const key = { alg: "ES256", jwk: { kty: "EC", crv: "P-256", x: "x", y: "y" } };
      const grant = await sessions.device.register(id, { challenge: challenge!, key } as never, {
        challengeTtl: 60,
        cookieTtl: 600,
      });
      expect(grant.ok).toBe(true);
      // The thief holds the long-lived session cookie only.
      const stolen = await exchange({ cookie: `${COOKIE}=${session}` });
      expect(stolen.status).toBe(401);
      expect(await stolen.json()).toEqual({ error: "unauthenticated", reason: "device-unbound" });
      expect(stolen.headers.get("set-cookie")).toBeNull(); // the key holder goes on
      const asBearer = await exchange({ authorization: `Bearer ${session}` });
      expect(asBearer.status).toBe(401);
      // The session was not rotated or extended by the attempts.
      expect((await sessions.find(id))?.lastActiveAt.getTime()).toBeLessThanOrEqual(clock);
    });

    it("limits tokens per session by default: the 31st request in a minute is answered 429", async () => {
      const session = await login();
      for (let i = 0; i < 30; i++) {
        expect((await exchange({ cookie: `${COOKIE}=${session}` })).status).toBe(200);
      }
      const limited = await exchange({ cookie: `${COOKIE}=${session}` });
      expect(limited.status).toBe(429);
      expect(await limited.text()).toBe('{"error":"too-many-requests"}');
      expect(limited.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      // Another session of the same user is counted on its own.
      expect((await exchange({ cookie: `${COOKIE}=${await login()}` })).status).toBe(200);
    });

    it("limits requests per address, with or without a session, and can be turned off", async () => {
      await boot({ limits: { perSession: false, perAddress: { max: 3, windowSeconds: 60 } } });
      const session = await login();
      expect((await exchange({})).status).toBe(401);
      expect((await exchange({ cookie: `${COOKIE}=${session}` })).status).toBe(200);
      expect((await exchange({ cookie: `${COOKIE}=${session}` })).status).toBe(200);
      const limited = await exchange({ cookie: `${COOKIE}=${session}` });
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ error: "too-many-requests" });
      await boot({ limits: false });
      const unlimited = await login();
      for (let i = 0; i < 35; i++) {
        expect((await exchange({ cookie: `${COOKIE}=${unlimited}` })).status).toBe(200);
      }
    });

    it("answers 503, not 401, while the session store is down", async () => {
      const session = await login();
      outage.set("down");
      const response = await exchange({ cookie: `${COOKIE}=${session}` });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: "store-unavailable" });
      expect(response.headers.get("retry-after")).toBe("5");
      expect(response.headers.get("set-cookie")).toBeNull();
    });

    it("passes the client's IP and user agent to validate, so a strict binding holds", async () => {
      await boot({ binding: { ip: "strict", userAgent: "strict" } });
      const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
      const session = await login({ "user-agent": firefox });
      const cookie = `${COOKIE}=${session}`;
      expect((await exchange({ cookie, "user-agent": firefox })).status).toBe(200);
      const chrome =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
      expect((await exchange({ cookie, "user-agent": chrome })).status).toBe(401);
    });

    it("guards the service: 401 with a Bearer challenge without a token or with a bad one", async () => {
      const missing = await fetch(`${url}/api/me`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="orders"');
      const bad = await fetch(`${url}/api/me`, { headers: { authorization: "Bearer a.b.c" } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get("www-authenticate")).toBe(
        'Bearer realm="orders", error="invalid_token", error_description="malformed"',
      );
      expect(await bad.json()).toEqual({ error: "invalid_token", reason: "malformed" });
      const basic = await fetch(`${url}/api/me`, { headers: { authorization: "Basic YTpi" } });
      expect(basic.status).toBe(401);
    });

    it("refuses an expired access token", async () => {
      const token = await accessToken(await login());
      clock += (300 + 31) * 1000;
      const response = await fetch(`${url}/api/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ reason: "expired" });
    });

    it("lets a sensitive route refuse the token of a revoked session, which other routes still take", async () => {
      const session = await login();
      const token = await accessToken(session);
      const auth = { authorization: `Bearer ${token}` };
      expect((await fetch(`${url}/api/pay`, { method: "POST", headers: auth })).status).toBe(200);
      await fetch(`${url}/logout`, { method: "POST", headers: { cookie: `${COOKIE}=${session}` } });
      const pay = await fetch(`${url}/api/pay`, { method: "POST", headers: auth });
      expect(pay.status).toBe(401);
      expect(await pay.json()).toMatchObject({ reason: "revoked" });
      expect((await fetch(`${url}/api/me`, { headers: auth })).status).toBe(200);
    });

    it("answers 503 on a sensitive route while the revocation check cannot reach the store", async () => {
      const token = await accessToken(await login());
      outage.set("down");
      const auth = { authorization: `Bearer ${token}` };
      expect((await fetch(`${url}/api/pay`, { method: "POST", headers: auth })).status).toBe(503);
    });

    it("serves the public JWK Set, cacheable, and nothing else", async () => {
      const response = await fetch(`${url}/.well-known/jwks.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
      expect(response.headers.get("cache-control")).toBe("public, max-age=300");
      const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kid: key.kid, alg: "EdDSA", use: "sig" });
      expect(jwks.keys[0]).not.toHaveProperty("d");
    });
  });
}

export { audience, issuer };
