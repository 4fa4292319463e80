/**
 * What every framework integration must do, over real HTTP, against its reference app
 * (reference.ts). Each framework's test file runs these on its own app; since the assertions are
 * the same everywhere, so are the answers, byte for byte.
 */

import { uniqueUser } from "@tessera/store-test/doubles";
import { expect } from "vitest";
import type { Answer } from "./http.js";
import { ADMIN_PREFIX, LICENCE_LIMIT } from "./policies.js";
import {
  FRESH_FOR,
  REFERENCE_ROUTES,
  ROTATION_INTERVAL,
  type StartReferenceApp,
} from "./reference.js";

/** One behaviour, named as the test that checks it. */
export interface Scenario {
  name: string;
  run: (start: StartReferenceApp) => Promise<void>;
}

const TOKEN = /^[a-z2-7]{24}\.[a-z2-7]{32}$/;
const sessionValue = (line: string | undefined) => line?.split(";")[0]?.split("=")[1];
const sessionCookies = (answer: Answer) =>
  answer.cookies.filter((line) => line.startsWith("session="));

/** The reference apps listen on the loopback: the address every socket shows. */
const SOCKET_ADDRESS = "127.0.0.1";
/** A browser-session cookie: no `Max-Age`, no `Expires` (Next.js writes `SameSite=lax`). */
const BROWSER_SESSION_COOKIE =
  /^session=[a-z2-7]{24}\.[a-z2-7]{32}; Path=\/; HttpOnly; SameSite=Lax$/i;
const UNSAFE_METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;

/** Asserts an answer is exactly the refusal every integration gives. */
function expectRefusal(answer: Answer, status: number, body: object) {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual(body);
  expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
  // A refusal that also clears a dead cookie says `private, no-store`; either way, never cached.
  expect(answer.headers.get("cache-control")).toMatch(/^(private, )?no-store$/);
}

function expectStoreUnavailable(answer: Answer) {
  expectRefusal(answer, 503, { error: "store-unavailable" });
  expect(answer.headers.get("cache-control")).toBe("no-store");
  expect(answer.headers.get("retry-after")).toBe("5");
  expect(sessionCookies(answer)).toEqual([]); // nobody is logged out by an outage
}

/** Cookie and bearer sessions, CSRF, freshness, logout, proxies: run on every store kind. */
export const sessionScenarios: Scenario[] = [
  {
    name: "serves every reference route",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      for (const route of REFERENCE_ROUTES) {
        if (route.path === "/boom" || route.path.startsWith("/logout")) continue;
        const answer = await client.request(
          route.method,
          route.path,
          route.method === "POST" ? { json: { user: uniqueUser("bob") } } : {},
        );
        expect(answer.status, `${route.method} ${route.path}`).toBe(200);
      }
    },
  },
  {
    name: "sets a __Host- cookie with Secure, HttpOnly, SameSite=Lax and Path=/ by default",
    async run(start) {
      const app = await start({ sessions: { cookie: { secure: true } } });
      const login = await app.client().post("/login", { json: { user: uniqueUser("alice") } });
      expect(login.status).toBe(200);
      expect(login.cookie("__Host-session")).toMatch(
        /^__Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
      expect(login.headers.get("cache-control")).toBe("private, no-store");
    },
  },
  {
    name: "logs in with a cookie and shows the user on the next request",
    async run(start) {
      const app = await start();
      const client = app.client();
      const alice = uniqueUser("alice");
      const login = await client.post("/login", { json: { user: alice, data: { role: "admin" } } });
      expect(login.body).toEqual({ user: alice, token: expect.stringMatching(TOKEN) });
      expect(login.cookie("session")).toMatch(
        /^session=[a-z2-7.]{57}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      expect(login.cookie("early")).toBe("early=1; Path=/");
      const me = await client.get("/me");
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: alice, data: { role: "admin" }, fresh: true });
      expect(me.body.source).toBe("cookie");
      expect(me.cookie("session")).toBeUndefined(); // nothing rotated: no cookie written
    },
  },
  {
    name: "sends the rotated cookie and keeps the cookies the app sets",
    async run(start) {
      const app = await start();
      const client = app.client();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const before = client.jar.get("session");
      await app.advanceClock(ROTATION_INTERVAL + 1);
      const rotated = await client.get("/theme");
      expect(rotated.body).toEqual({ user: alice });
      const after = sessionValue(rotated.cookie("session"));
      expect(after).toMatch(TOKEN);
      expect(after).not.toBe(before);
      expect(rotated.cookie("early")).toBe("early=1; Path=/");
      expect(rotated.cookie("theme")).toMatch(/^theme=dark/);
      expect(sessionCookies(rotated)).toHaveLength(1);
      expect((await client.get("/me")).body.user).toBe(alice);
    },
  },
  {
    name: "marks a response carrying a rotated token no-store, whatever the handler set",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const quiet = await client.get("/cached");
      expect(quiet.headers.get("cache-control")).toBe("public, max-age=60");
      await app.advanceClock(ROTATION_INTERVAL + 1);
      const rotated = await client.get("/cached");
      expect(sessionCookies(rotated)).toHaveLength(1);
      expect(rotated.headers.get("cache-control")).toBe("private, no-store");
    },
  },
  {
    name: "answers a bearer client's rotation in the tessera-token header, not a cookie",
    async run(start) {
      const app = await start();
      const bob = uniqueUser("bob");
      const { token } = (await app.client().post("/login", { json: { user: bob } })).body;
      const bearer = app.client();
      const first = await bearer.get("/me", { bearer: token, bare: true });
      expect(first.body).toMatchObject({ user: bob, source: "bearer" });
      expect(first.headers.get("tessera-token")).toBeNull();
      await app.advanceClock(ROTATION_INTERVAL + 1);
      const rotated = await bearer.get("/me", { bearer: token, bare: true });
      const next = rotated.headers.get("tessera-token");
      expect(next).toMatch(TOKEN);
      expect(next).not.toBe(token);
      expect(rotated.headers.get("cache-control")).toBe("private, no-store");
      expect(rotated.cookie("session")).toBeUndefined();
      expect((await bearer.get("/me", { bearer: next!, bare: true })).body.user).toBe(bob);
    },
  },
  {
    name: "refuses a cross-site POST with 403 before touching the store",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const reads = await app.storeReads();
      const attack = await client.post("/logout", {
        headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
      });
      expectRefusal(attack, 403, { error: "cross-site-request", reason: "cross-site" });
      const sandboxed = await client.post("/logout", { headers: { origin: "null" } });
      expectRefusal(sandboxed, 403, { error: "cross-site-request", reason: "opaque-origin" });
      const otherScheme = await client.post("/logout", {
        headers: { origin: app.url.replace("http:", "https:") },
      });
      expectRefusal(otherScheme, 403, { error: "cross-site-request", reason: "cross-site" });
      expect(await app.storeReads()).toBe(reads);
      expect((await client.get("/me")).status).toBe(200); // still logged in
    },
  },
  {
    name: "refuses a cookie-carrying POST with no origin headers, accepts it with a bearer token",
    async run(start) {
      const app = await start();
      const client = app.client();
      const login = await client.post("/login", { json: { user: uniqueUser("alice") } });
      const withCookie = await client.post("/transfer", { bare: true });
      expectRefusal(withCookie, 403, { error: "cross-site-request", reason: "missing-origin" });
      const withBearer = await app
        .client()
        .post("/transfer", { bare: true, bearer: login.body.token });
      expect(withBearer.status).toBe(200);
      expect(withBearer.body).toEqual({ transferred: true });
      const anonymous = await app.client().post("/login", {
        bare: true,
        json: { user: uniqueUser("cli") },
      });
      expect(anonymous.status).toBe(200); // no cookie, no ambient authority to abuse
    },
  },
  {
    name: "accepts same-origin POSTs by Sec-Fetch-Site or by Origin matching the request",
    async run(start) {
      const app = await start();
      const client = app.client();
      const viaFetchMetadata = await client.post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { "sec-fetch-site": "same-origin" },
      });
      expect(viaFetchMetadata.status).toBe(200);
      const viaOrigin = await client.post("/logout", { headers: { origin: app.url } });
      expect(viaOrigin.status).toBe(200);
      expect(viaOrigin.body).toEqual({ ended: true });
    },
  },
  {
    name: "accepts the listed origins and no others",
    async run(start) {
      const app = await start({ options: { allowedOrigins: ["https://admin.example.com"] } });
      const client = app.client();
      const listed = await client.post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { origin: "https://admin.example.com", "sec-fetch-site": "same-site" },
      });
      expect(listed.status).toBe(200);
      const other = await client.post("/logout", {
        headers: { origin: "https://shop.example.com", "sec-fetch-site": "same-site" },
      });
      expect(other.status).toBe(403);
    },
  },
  {
    name: "lets cross-site requests through with csrf: false",
    async run(start) {
      const app = await start({ options: { csrf: false } });
      const login = await app.client().post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
      });
      expect(login.status).toBe(200);
    },
  },
  {
    name: "answers 401 without a session and 403 after freshFor on requireFresh routes",
    async run(start) {
      const app = await start();
      const client = app.client();
      expectRefusal(await client.post("/transfer"), 401, { error: "unauthenticated" });
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      expect((await client.post("/transfer")).body).toEqual({ transferred: true });
      await app.advanceClock(FRESH_FOR + 1);
      expectRefusal(await client.post("/transfer"), 403, { error: "not-fresh" });
      expect((await client.get("/me")).status).toBe(200); // still logged in, just not fresh
    },
  },
  {
    name: "steps up: reauthenticate rotates the cookie and makes the session fresh again",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      await app.advanceClock(FRESH_FOR + 1);
      const copy = client.jar.get("session")!;
      const stepped = await client.post("/step-up");
      expect(stepped.body).toEqual({ fresh: true });
      const renewed = sessionValue(stepped.cookie("session"));
      expect(renewed).toMatch(TOKEN);
      expect(renewed).not.toBe(copy);
      expect(stepped.headers.get("cache-control")).toBe("private, no-store");
      expect((await client.post("/transfer")).status).toBe(200);
      // A copy of the cookie taken before the step-up does not inherit its freshness.
      const thief = app.client();
      thief.jar.set("session", copy);
      expect((await thief.post("/transfer")).status).not.toBe(200);
    },
  },
  {
    name: "rotates on demand (after a privilege change) and writes the new cookie",
    async run(start) {
      const app = await start();
      const client = app.client();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const before = client.jar.get("session");
      const rotated = await client.post("/rotate");
      expect(rotated.body).toEqual({ rotated: true });
      expect(sessionValue(rotated.cookie("session"))).not.toBe(before);
      expect((await client.get("/me")).body.user).toBe(alice);
    },
  },
  {
    name: "logs out: revokes the session and clears the cookie",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const stolen = client.jar.get("session")!;
      const logout = await client.post("/logout");
      expect(logout.body).toEqual({ ended: true });
      expect(logout.cookie("session")).toMatch(/^session=; (Max-Age=0|.*Expires=Thu, 01 Jan 1970)/);
      expect(logout.cookie("early")).toBe("early=1; Path=/");
      expect((await client.get("/me")).status).toBe(401);
      const replay = await client.get("/me", { headers: { cookie: `session=${stolen}` } });
      expectRefusal(replay, 401, { error: "unauthenticated", reason: "not-found" });
    },
  },
  {
    name: "logs out everywhere: ends the other devices' sessions and this one",
    async run(start) {
      const app = await start();
      const laptop = app.client();
      const phone = app.client();
      const alice = uniqueUser("alice");
      await laptop.post("/login", { json: { user: alice } });
      await phone.post("/login", { json: { user: alice } });
      const everywhere = await laptop.post("/logout-everywhere", { json: {} });
      expect(everywhere.body).toEqual({ ended: 2 });
      expect(everywhere.cookie("session")).toMatch(/^session=;/);
      expect((await phone.get("/me")).status).toBe(401);
      expect((await laptop.get("/me")).status).toBe(401);
    },
  },
  {
    name: "logs out other devices only with { keepCurrent: true }",
    async run(start) {
      const app = await start();
      const [laptop, phone, tablet] = [app.client(), app.client(), app.client()];
      const alice = uniqueUser("alice");
      for (const device of [laptop, phone, tablet]) {
        await device.post("/login", { json: { user: alice } });
      }
      const others = await laptop.post("/logout-everywhere", { json: { keepCurrent: true } });
      expect(others.body).toEqual({ ended: 2 });
      expect(others.cookie("session")).toBeUndefined();
      expect((await laptop.get("/me")).status).toBe(200);
      expect((await phone.get("/me")).status).toBe(401);
      expect((await tablet.get("/me")).status).toBe(401);
    },
  },
  {
    name: "revokes the session a request already had when it logs in again (no fixation)",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("mallory") } });
      const planted = client.jar.get("session")!;
      await app.advanceClock(ROTATION_INTERVAL + 1); // the old session rotates on this request
      const victim = uniqueUser("victim");
      const login = await client.post("/login", { json: { user: victim } });
      // Next.js adds its proxy's rotated cookie before the route's: the last one is the login's.
      expect(sessionValue(sessionCookies(login).at(-1))).toBe(login.body.token);
      expect(client.jar.get("session")).toBe(login.body.token);
      expect((await client.get("/me")).body.user).toBe(victim);
      const old = await client.get("/me", { headers: { cookie: `session=${planted}` } });
      expect(old.status).toBe(401);
    },
  },
  {
    name: "keeps the user logged in when a sibling domain tosses in a second session cookie",
    async run(start) {
      const app = await start();
      const client = app.client();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const real = client.jar.get("session")!;
      const tossed = `${"a".repeat(24)}.${"b".repeat(32)}`;
      for (const cookie of [
        `session=${tossed}; session=${real}`,
        `session=${real}; session=${tossed}`,
      ]) {
        const me = await client.get("/me", { headers: { cookie } });
        expect(me.status).toBe(200);
        expect(me.body.user).toBe(alice);
        expect(sessionCookies(me)).toEqual([]); // nothing cleared
      }
    },
  },
  {
    name: "ignores a spoofed X-Forwarded-For by default and honours it with trustedProxies",
    async run(start) {
      const spoofed = { "x-forwarded-for": "203.0.113.9" };
      const direct = await start({ sessions: { binding: { ip: "strict" } } });
      const client = direct.client();
      await client.post("/login", { json: { user: uniqueUser("alice") }, headers: spoofed });
      const me = await client.get("/me", { headers: spoofed });
      expect(me.status).toBe(200);
      // The socket's address (Next.js shows none: no address at all), never the header's.
      expect([SOCKET_ADDRESS, null]).toContain(me.body.ip);
      // The thief claims another address: by default it is not even read, so nothing changes.
      expect(
        (await client.get("/me", { headers: { "x-forwarded-for": "198.51.100.1" } })).status,
      ).toBe(200);

      const proxied = await start({
        options: { trustedProxies: 1 },
        sessions: { binding: { ip: "strict" } },
      });
      const victim = proxied.client();
      await victim.post("/login", { json: { user: uniqueUser("bob") }, headers: spoofed });
      expect((await victim.get("/me", { headers: spoofed })).body.ip).toBe("203.0.113.9");
      const thief = await victim.get("/me", { headers: { "x-forwarded-for": "198.51.100.1" } });
      expectRefusal(thief, 401, { error: "unauthenticated", reason: "binding-mismatch" });
    },
  },
  {
    name: "keeps a browser-session cookie (persistent: false) through login, rotation, rotate and step-up",
    async run(start) {
      const app = await start({ sessions: { cookie: { secure: false, persistent: false } } });
      const client = app.client();
      const alice = uniqueUser("alice");
      const login = await client.post("/login", { json: { user: alice } });
      expect(login.cookie("session")).toMatch(BROWSER_SESSION_COOKIE);
      expect(sessionValue(login.cookie("session"))).toBe(login.body.token);
      expect((await client.get("/me")).body.user).toBe(alice);

      await app.advanceClock(ROTATION_INTERVAL + 1); // the next request rotates (Next: its proxy)
      const rotated = await client.get("/theme");
      expect(sessionCookies(rotated)).toHaveLength(1);
      expect(rotated.cookie("session")).toMatch(BROWSER_SESSION_COOKIE);
      expect(sessionValue(rotated.cookie("session"))).not.toBe(login.body.token);
      expect((await client.get("/me")).body.user).toBe(alice);

      const onDemand = await client.post("/rotate");
      expect(onDemand.body).toEqual({ rotated: true });
      expect(onDemand.cookie("session")).toMatch(BROWSER_SESSION_COOKIE);
      expect((await client.get("/me")).body.user).toBe(alice);

      await app.advanceClock(FRESH_FOR + 1);
      const stepped = await client.post("/step-up");
      expect(stepped.body).toEqual({ fresh: true });
      expect(stepped.cookie("session")).toMatch(BROWSER_SESSION_COOKIE);
      expect((await client.post("/transfer")).status).toBe(200);
      expect((await client.get("/me")).body.user).toBe(alice);
    },
  },
  {
    name: "refuses every unsafe method cross-site or without origin headers when it carries the cookie",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const reads = await app.storeReads();
      for (const method of UNSAFE_METHODS) {
        const crossSite = await client.request(method, "/transfer", {
          headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
        });
        expectRefusal(crossSite, 403, { error: "cross-site-request", reason: "cross-site" });
        const byOrigin = await client.request(method, "/transfer", {
          headers: { origin: "https://evil.test" },
        });
        expectRefusal(byOrigin, 403, { error: "cross-site-request", reason: "cross-site" });
        const silent = await client.request(method, "/transfer", { bare: true });
        expectRefusal(silent, 403, { error: "cross-site-request", reason: "missing-origin" });
      }
      expect(await app.storeReads()).toBe(reads);
      expect((await client.get("/me")).status).toBe(200); // still logged in
    },
  },
  {
    name: "ignores X-Forwarded-Proto alone by default: it never makes an https Origin the app's own",
    async run(start) {
      // The app is served over plain http; only a trusted proxy may say the client used https.
      const https = { origin: "", "x-forwarded-proto": "https" };
      const direct = await start();
      https.origin = direct.url.replace("http:", "https:");
      const client = direct.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const refused = await client.post("/logout", { headers: https });
      expectRefusal(refused, 403, { error: "cross-site-request", reason: "cross-site" });
      expect((await client.get("/me")).status).toBe(200);

      const proxied = await start({ options: { trustedProxies: 1 } });
      https.origin = proxied.url.replace("http:", "https:");
      const behind = proxied.client();
      await behind.post("/login", { json: { user: uniqueUser("bob") } });
      const accepted = await behind.post("/logout", { headers: https });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({ ended: true });
    },
  },
  {
    name: "ignores X-Forwarded-Host alone by default: it never makes another Origin the app's own",
    async run(start) {
      const forwarded = {
        origin: "http://shop.example.test",
        "x-forwarded-host": "shop.example.test",
      };
      const direct = await start();
      const client = direct.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const refused = await client.post("/logout", { headers: forwarded });
      expectRefusal(refused, 403, { error: "cross-site-request", reason: "cross-site" });
      expect((await client.get("/me")).status).toBe(200);

      const proxied = await start({ options: { trustedProxies: 1 } });
      const behind = proxied.client();
      await behind.post("/login", { json: { user: uniqueUser("bob") } });
      const accepted = await behind.post("/logout", { headers: forwarded });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({ ended: true });
    },
  },
  {
    name: "treats an oversized or garbage cookie or bearer header as no session: 401, never 500",
    async run(start) {
      const app = await start();
      const client = app.client();
      const garbage = [
        `session=${"a".repeat(8000)}`,
        "session=%00%ff\u00e9;;;=;",
        `session=${"x".repeat(24)}.${"y".repeat(32)}`, // well-formed, never issued
        "session=",
        'session="unterminated',
        `session=${"a".repeat(24)}.${"b".repeat(32)}.${"c".repeat(10)}`,
      ];
      for (const cookie of garbage) {
        const me = await client.get("/me", { headers: { cookie } });
        expect(me.status, cookie.slice(0, 40)).toBe(401);
        expect((await client.get("/public", { headers: { cookie } })).status).toBe(200);
      }
      for (const authorization of ["Bearer", "Bearer !!#$", `Bearer ${"z".repeat(4000)}`]) {
        expect((await client.get("/me", { headers: { authorization } })).status).toBe(401);
      }
      const reads = await app.storeReads();
      const malformed = await client.get("/me", { headers: { cookie: "session=garbage" } });
      expectRefusal(malformed, 401, { error: "unauthenticated", reason: "malformed" });
      expect(malformed.cookie("session")).toMatch(/^session=;/); // the browser forgets it
      expect(await app.storeReads()).toBe(reads); // malformed tokens never reach the store
    },
  },
];

/** A failing store: run on an in-memory store (or the framework's own) switched down. */
export const storeOutageScenarios: Scenario[] = [
  {
    name: "answers 503 JSON, never 401, while the store is down, and the session survives it",
    async run(start) {
      const app = await start();
      const client = app.client();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      await app.setStore("down");
      expectStoreUnavailable(await client.get("/me"));
      expectStoreUnavailable(await app.client().post("/login", { json: { user: "bob" } }));
      expectStoreUnavailable(await client.post("/logout"));
      // Requests without a token never touch the store; the process is alive and serving.
      expect((await app.client().get("/public")).body).toEqual({ user: null });
      await app.setStore("up");
      expect((await client.get("/me")).body.user).toBe(alice);
    },
  },
  {
    name: "answers 503 when a write keeps losing its race, never 500 or 401",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      await app.advanceClock(ROTATION_INTERVAL + 1); // this request must write a rotation
      await app.setStore("losing-races");
      expectStoreUnavailable(await client.get("/me"));
      await app.setStore("up");
      expect((await client.get("/me")).status).toBe(200);
    },
  },
  {
    name: "leaves other application errors to the application",
    async run(start) {
      const app = await start();
      await app.setStore("down");
      const boom = await app.client().get("/boom");
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ appError: "Error" });
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The outside security review (issue #31), over real HTTP on every integration. Kept as its own
// list so scenarios other work appends above stay apart; each framework's test runs both.
// ---------------------------------------------------------------------------------------------

const PLANTED = `${"a".repeat(24)}.${"b".repeat(32)}`;
const plantedToken = (i: number) => `${"a".repeat(23)}${"cdef"[i]}.${"b".repeat(32)}`;

/** Findings of the review that every integration must answer alike. */
export const reviewScenarios: Scenario[] = [
  {
    name: "cookie tossing: four planted junk cookies cannot hide the real fifth",
    async run(start) {
      const app = await start();
      const client = app.client();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const real = client.jar.get("session")!;
      const junk = ["x", "1.2", "a".repeat(57), '""'].map((value) => `session=${value}`);
      const me = await client.get("/me", {
        headers: { cookie: [...junk, `session=${real}`].join("; ") },
      });
      expect(me.status).toBe(200);
      expect(me.body.user).toBe(alice);
      expect(sessionCookies(me)).toEqual([]);
    },
  },
  {
    name: "cookie tossing: several session cookies and none valid clear none (the real one may be among them)",
    async run(start) {
      const app = await start();
      const client = app.client();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const real = client.jar.get("session")!;
      // Four well-formed planted tokens push the real cookie past the candidates tried: refused,
      // but no Set-Cookie clears the name, which could delete the real cookie.
      const planted = [0, 1, 2, 3].map((i) => `session=${plantedToken(i)}`);
      const hidden = await client.get("/me", {
        headers: { cookie: [...planted, `session=${real}`].join("; ") },
      });
      expectRefusal(hidden, 401, { error: "unauthenticated", reason: "not-found" });
      expect(sessionCookies(hidden)).toEqual([]);
      const twoDead = await client.get("/me", {
        headers: { cookie: `session=${PLANTED}; session=junk` },
      });
      expect(twoDead.status).toBe(401);
      expect(sessionCookies(twoDead)).toEqual([]);
      // The real cookie was never deleted: once the planted ones are gone, the user goes on.
      expect((await client.get("/me")).status).toBe(200);
      // A lone dead cookie is still cleared, so the browser stops sending it.
      const lone = await app.client().get("/me", { headers: { cookie: `session=${PLANTED}` } });
      expect(sessionCookies(lone)).toEqual(["session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"]);
    },
  },
  {
    name: "a bare host in allowedOrigins matches https only when the session cookie is Secure",
    async run(start) {
      const listed = { allowedOrigins: ["admin.example.test"] };
      const post = (app: Awaited<ReturnType<StartReferenceApp>>, origin: string) =>
        app.client().post("/login", {
          json: { user: uniqueUser("alice") },
          headers: { origin, "sec-fetch-site": "same-site" },
        });
      const secure = await start({ options: listed, sessions: { cookie: { secure: true } } });
      expect((await post(secure, "https://admin.example.test")).status).toBe(200);
      // Anyone on the network path can write a plain-HTTP page of that host.
      expectRefusal(await post(secure, "http://admin.example.test"), 403, {
        error: "cross-site-request",
        reason: "cross-site",
      });
      const plain = await start({ options: listed });
      expect((await post(plain, "http://admin.example.test")).status).toBe(200);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Session policies (issue #28): policy classes, guests, impersonation, the session limit. An
// integration opts in by serving `POLICY_ROUTES` (reference.ts) and running this list.
// ---------------------------------------------------------------------------------------------

const IMPERSONATOR = "session-impersonator";
/**
 * A cookie that lives past the browser session: `Max-Age` set, the session cookie's attributes.
 * Next.js's cookie API writes the same cookie as `Path=/; Expires=...; Max-Age=...`.
 */
const PERSISTENT_SESSION_COOKIE =
  /^session=[a-z2-7]{24}\.[a-z2-7]{32}; (Max-Age=\d+; Path=\/|Path=\/; Expires=[^;]+; Max-Age=\d+); HttpOnly; SameSite=Lax$/i;
const cleared = (line: string | undefined) =>
  line !== undefined &&
  (/;\s*Max-Age=0(;|$)/i.test(line) || /Expires=Thu, 01 Jan 1970/i.test(line));

/** An admin's client, logged in, acting as a fresh user after `POST /impersonate`. */
async function impersonating(app: Awaited<ReturnType<StartReferenceApp>>) {
  const client = app.client();
  const admin = uniqueUser(ADMIN_PREFIX);
  const alice = uniqueUser("alice");
  await client.post("/login", { json: { user: admin } });
  const adminToken = client.jar.get("session")!;
  const started = await client.post("/impersonate", {
    json: { user: alice, reason: "support ticket 4711" },
  });
  return { client, admin, alice, adminToken, started };
}

/** Policy classes, guests, impersonation and the session limit, over real HTTP. */
export const policyScenarios: Scenario[] = [
  {
    name: "policy classes: a default-class login (persistent: false) gets a browser-session cookie, a remembered one a Max-Age cookie",
    async run(start) {
      const app = await start({ sessions: { cookie: { secure: false, persistent: false } } });
      const plain = app.client();
      const login = await plain.post("/login", { json: { user: uniqueUser("alice") } });
      expect(login.cookie("session")).toMatch(BROWSER_SESSION_COOKIE);
      expect((await plain.get("/me")).body).toMatchObject({ policy: "default" });

      const remembered = app.client();
      const bob = uniqueUser("bob");
      const kept = await remembered.post("/login", { json: { user: bob, policy: "remembered" } });
      expect(kept.status).toBe(200);
      expect(kept.cookie("session")).toMatch(PERSISTENT_SESSION_COOKIE);
      expect(sessionValue(kept.cookie("session"))).toBe(kept.body.token);
      expect((await remembered.get("/me")).body).toMatchObject({ user: bob, policy: "remembered" });
      // The class keeps its cookie across rotation.
      await app.advanceClock(ROTATION_INTERVAL + 1);
      const rotated = await remembered.get("/theme");
      expect(sessionCookies(rotated)).toHaveLength(1);
      expect(rotated.cookie("session")).toMatch(PERSISTENT_SESSION_COOKIE);
    },
  },
  {
    name: "guests: a guest's data survives the login under a new session id, and the guest's token is dead",
    async run(start) {
      const app = await start();
      const client = app.client();
      expect((await client.get("/guest")).body).toEqual({ guest: null });
      const started = await client.post("/guest", { json: { data: { cart: ["sku-1"] } } });
      expect(started.status).toBe(200);
      expect(started.body.guest).toEqual(expect.any(String));
      const guestToken = client.jar.get("session")!;
      expect(guestToken).toMatch(TOKEN);
      expect((await client.get("/guest")).body).toEqual({ guest: { cart: ["sku-1"] } });
      // A guest is not logged in.
      expectRefusal(await client.get("/me"), 401, { error: "unauthenticated" });

      const alice = uniqueUser("alice");
      const login = await client.post("/login", { json: { user: alice, data: { role: "buyer" } } });
      expect(login.status).toBe(200);
      expect(login.body.token).not.toBe(guestToken);
      expect(client.jar.get("session")).toBe(login.body.token);
      const me = await client.get("/me");
      expect(me.body).toMatchObject({ user: alice, data: { cart: ["sku-1"], role: "buyer" } });
      expect(me.body.id).not.toBe(started.body.guest);
      expect((await client.get("/guest")).body).toEqual({ guest: null });
      // A logged-in request starts no guest.
      expect((await client.post("/guest", { json: {} })).body).toEqual({ guest: null });

      const replay = app.client();
      replay.jar.set("session", guestToken);
      expect((await replay.get("/guest")).body).toEqual({ guest: null });
      expect((await replay.get("/me")).status).toBe(401);
    },
  },
  {
    name: "impersonation: the session says impersonatedBy, keeps the admin's token in an HttpOnly cookie, and is never fresh, even after step-up",
    async run(start) {
      const app = await start();
      const { client, admin, alice, adminToken, started } = await impersonating(app);
      expect(started.status).toBe(200);
      expect(started.body).toEqual({ user: alice, impersonatedBy: admin });
      expect(started.cookie(IMPERSONATOR)).toMatch(
        new RegExp(
          `^${IMPERSONATOR}=${adminToken.replace(".", "\\.")}; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Lax$`,
          "i",
        ),
      );
      expect(client.jar.get("session")).not.toBe(adminToken);
      const me = await client.get("/me");
      expect(me.body).toMatchObject({
        user: alice,
        impersonatedBy: admin,
        policy: "impersonation",
        fresh: false,
      });
      expectRefusal(await client.post("/transfer"), 403, { error: "not-fresh" });
      const stepped = await client.post("/step-up");
      expect(stepped.status).toBe(200);
      expect(stepped.body).toEqual({ fresh: false });
      expectRefusal(await client.post("/transfer"), 403, { error: "not-fresh" });
      expect((await client.get("/me")).body).toMatchObject({ user: alice, impersonatedBy: admin });
    },
  },
  {
    name: "impersonation: stopping restores the admin's session, clears the impersonator cookie and ends the impersonation",
    async run(start) {
      const app = await start();
      const { client, admin, adminToken } = await impersonating(app);
      const actingToken = client.jar.get("session")!;
      const stopped = await client.post("/impersonation/stop");
      expect(stopped.status).toBe(200);
      expect(stopped.body).toEqual({ user: admin });
      expect(cleared(stopped.cookie(IMPERSONATOR))).toBe(true);
      expect(client.jar.has(IMPERSONATOR)).toBe(false);
      expect(sessionValue(sessionCookies(stopped).at(-1))).toBe(adminToken);
      const me = await client.get("/me");
      expect(me.body).toMatchObject({ user: admin, impersonatedBy: null, policy: "default" });
      const replay = app.client();
      replay.jar.set("session", actingToken);
      expectRefusal(await replay.get("/me"), 401, {
        error: "unauthenticated",
        reason: expect.any(String),
      });
    },
  },
  {
    name: `session limit: a login past the licence class's ${LICENCE_LIMIT} sessions answers 403 session-limit and ends none`,
    async run(start) {
      const app = await start();
      const alice = uniqueUser("alice");
      const devices = [app.client(), app.client()];
      for (const device of devices) {
        const login = await device.post("/login", { json: { user: alice, policy: "licence" } });
        expect(login.status).toBe(200);
        await app.advanceClock(1);
      }
      const third = app.client();
      const refused = await third.post("/login", { json: { user: alice, policy: "licence" } });
      expectRefusal(refused, 403, { error: "session-limit" });
      expect(sessionCookies(refused)).toEqual([]);
      expect(third.jar.has("session")).toBe(false);
      for (const device of devices) {
        expect((await device.get("/me")).body).toMatchObject({ user: alice, policy: "licence" });
      }
      // Another class of the same user is not counted against the licence.
      expect((await app.client().post("/login", { json: { user: alice } })).status).toBe(200);
    },
  },
  {
    name: "refuses the policy routes' unsafe requests carrying the session cookie without origin headers, before the store",
    async run(start) {
      const app = await start();
      const guest = app.client();
      await guest.post("/guest", { json: { data: { cart: [] } } });
      expect(guest.jar.get("session")).toMatch(TOKEN);
      const admin = app.client();
      await admin.post("/login", { json: { user: uniqueUser(ADMIN_PREFIX) } });
      const { client: acting } = await impersonating(app);
      const reads = await app.storeReads();
      const attempts: Array<[typeof guest, string, object]> = [
        [guest, "/guest", { data: { cart: ["stolen"] } }],
        [guest, "/login", { user: uniqueUser("mallory") }],
        [admin, "/impersonate", { user: uniqueUser("victim"), reason: "csrf" }],
        [acting, "/impersonation/stop", {}],
      ];
      for (const [client, path, json] of attempts) {
        const silent = await client.post(path, { bare: true, json });
        expectRefusal(silent, 403, { error: "cross-site-request", reason: "missing-origin" });
        const crossSite = await client.post(path, {
          json,
          headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
        });
        expectRefusal(crossSite, 403, { error: "cross-site-request", reason: "cross-site" });
      }
      expect(await app.storeReads()).toBe(reads);
      expect((await guest.get("/guest")).body).toEqual({ guest: { cart: [] } });
      expect((await acting.get("/me")).body.impersonatedBy).toMatch(/^admin/);
      expect((await admin.get("/me")).body.impersonatedBy).toBeNull();
    },
  },
];
