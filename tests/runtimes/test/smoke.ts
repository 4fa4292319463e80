/**
 * The smoke suite every runtime passes: the same HTTP conversation with the smoke app
 * (src/smoke-app.ts) served by that runtime, from vitest on Node over loopback.
 */
import type { RunningServer } from "@tessera/edge-test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The cookie pair (`name=value`) of a response's session Set-Cookie, or null. */
function sessionCookie(response: Response): string | null {
  const header = response.headers.getSetCookie().find((c) => c.includes("session="));
  return header ? header.split(";")[0]! : null;
}

/**
 * Registers the smoke suite for one runtime. `start` starts the runtime serving the smoke app;
 * it is stopped after the suite.
 */
export function runSmokeSuite(
  runtime: "workerd" | "deno" | "bun",
  start: () => Promise<RunningServer>,
): void {
  describe(`the built packages on ${runtime}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(() => server?.stop());

    const request = (path: string, init: RequestInit = {}) => fetch(server.url + path, init);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      request(path, {
        method: "POST",
        // As a browser does: an unsafe request says where it comes from.
        headers: {
          "content-type": "application/json",
          "sec-fetch-site": "same-origin",
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const advance = (seconds: number) => post("/clock", { advance: seconds });
    async function loginAs(user: string): Promise<{ cookie: string; token: string }> {
      const response = await post("/login", { user });
      expect(response.status).toBe(200);
      const cookie = sessionCookie(response);
      expect(cookie).not.toBeNull();
      const body = (await response.json()) as { token: string };
      return { cookie: cookie!, token: body.token };
    }
    const me = (cookie: string) => request("/me", { headers: { cookie } });

    it("serves the app from the runtime itself", async () => {
      expect(await (await request("/runtime")).json()).toEqual({ runtime });
    });

    it("runs core's lifecycle inside the runtime: create, rotate, detect reuse, revoke all", async () => {
      expect(await (await request("/core")).json()).toEqual({
        tokenLength: expect.any(Number),
        plain: true,
        rotated: true,
        confirmed: true,
        replayed: "reused",
        afterReuse: "not-found",
        listed: 2,
        revokedAll: 2,
        afterRevokeAll: "not-found",
      });
    });

    it("issues and verifies access tokens with EdDSA, ES256 and HS256 inside the runtime", async () => {
      expect(await (await request("/access-token")).json()).toEqual({
        EdDSA: ["runtime-user", "bad-signature"],
        ES256: ["runtime-user", "bad-signature"],
        HS256: ["runtime-user", "bad-signature"],
      });
    });

    it("logs in with a secure session cookie and recognises it on the next request", async () => {
      const response = await post("/login", { user: "ada" });
      expect(response.status).toBe(200);
      const setCookie = response.headers.getSetCookie().join("\n");
      expect(setCookie).toMatch(/^__Host-session=[^;]+;.*HttpOnly/);
      expect(setCookie).toMatch(/Secure/);
      expect(setCookie).toMatch(/SameSite=Lax/);
      // A response carrying a token is never kept by a shared cache.
      expect(response.headers.get("cache-control")).toBe("private, no-store");
      const answer = await me(sessionCookie(response)!);
      expect(answer.status).toBe(200);
      expect(answer.headers.getSetCookie()).toEqual([]);
      expect(await answer.json()).toMatchObject({ user: "ada" });
    });

    it("records the client address the runtime reports for the connection", async () => {
      const { cookie } = await loginAs("grace");
      expect(await (await me(cookie)).json()).toEqual({ user: "grace", ip: "127.0.0.1" });
    });

    it("refuses a request without a session with 401", async () => {
      const answer = await request("/me");
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ error: "unauthenticated" });
    });

    it("rotates the cookie once the interval has passed, and kills both tokens on a replay after grace", async () => {
      const { cookie } = await loginAs("linus");
      await advance(5 * 60 + 1);
      const rotated = await me(cookie);
      expect(rotated.status).toBe(200);
      const next = sessionCookie(rotated);
      expect(next).not.toBeNull();
      expect(next).not.toBe(cookie);
      expect((await me(next!)).status).toBe(200); // confirms the new secret
      await advance(31); // past grace: the old secret is now a replay
      const replay = await me(cookie);
      expect(replay.status).toBe(401);
      expect((await me(next!)).status).toBe(401); // theft detected: the whole session is gone
    });

    it("accepts the session token as a bearer header", async () => {
      const { token } = await loginAs("margaret");
      const answer = await request("/me", { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ user: "margaret" });
    });

    it("refuses a cross-site unsafe request that carries the cookie", async () => {
      const { cookie } = await loginAs("barbara");
      const answer = await post(
        "/logout",
        {},
        { cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      );
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject({ error: "cross-site-request" });
      expect((await me(cookie)).status).toBe(200);
    });

    it("guards sensitive routes with freshness: fresh after login, 403 once freshFor has passed", async () => {
      const { cookie } = await loginAs("frances");
      expect((await request("/fresh", { headers: { cookie } })).status).toBe(200);
      await advance(10 * 60 + 1);
      const stale = await request("/fresh", { headers: { cookie } });
      expect(stale.status).toBe(403);
      expect(await stale.json()).toEqual({ error: "not-fresh" });
    });

    it("logs out everywhere: every session of the user ends", async () => {
      const laptop = await loginAs("edsger");
      const phone = await loginAs("edsger");
      const out = await post("/logout-everywhere", {}, { cookie: laptop.cookie });
      expect(out.status).toBe(200);
      expect(await out.json()).toEqual({ ended: 2 });
      expect((await me(laptop.cookie)).status).toBe(401);
      expect((await me(phone.cookie)).status).toBe(401);
    });

    it("trades the session for an access token that a downstream API verifies", async () => {
      const { cookie } = await loginAs("katherine");
      const exchange = await post("/token", {}, { cookie });
      expect(exchange.status).toBe(200);
      const { access_token } = (await exchange.json()) as { access_token: string };
      const api = await request("/api/whoami", {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(api.status).toBe(200);
      expect(await api.json()).toMatchObject({ sub: "katherine" });
      expect((await request("/api/whoami")).status).toBe(401);
      const jwks = (await (await request("/jwks")).json()) as { keys: unknown[] };
      expect(jwks.keys).toHaveLength(1);
    });
  });
}
