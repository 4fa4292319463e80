/**
 * What every framework integration (@tessera/express, @tessera/hono) must do over real HTTP, as
 * scenarios each framework's test file drives with its own app. The app it starts is the
 * reference app, mounted the framework's way:
 *
 *   a middleware before Tessera    appends `Set-Cookie: early=1; Path=/` to every answer
 *   tessera(sessions, options)     on `referenceSessions(...)`
 *   GET  /public                   { user: userId or null }
 *   GET  /theme                    sets cookie `theme=dark`, answers like /public
 *   POST /login                    body { user, data? }: logs in, { user, token }
 *   GET  /me                       requireSession: { user, id, data, fresh, ip, source }
 *   POST /transfer                 requireFresh: { transferred: true }
 *   POST /logout                   { ended: <logout's result> }
 *   POST /logout-everywhere        requireSession, body { keepCurrent? }: { ended: <count> }
 *   GET  /boom                     throws an Error; the app's error handler answers
 *                                  500 { appError: error.name }
 */
import {
  createSessions,
  type SessionStore,
  type Sessions,
  type SessionsOptions,
} from "@tessera/core";
import { expect } from "vitest";
import { Client } from "./http.js";
import { counting, downStore, type StoreCalls, type StoreKind, uniqueUser } from "./stores.js";

/** Seconds between rotations in the reference app. */
export const ROTATION_INTERVAL = 60;
/** Seconds a login stays fresh in the reference app. */
export const FRESH_FOR = 600;

/** How a test configures one reference app. */
export interface AppConfig<Options> {
  /** The framework's `tessera()` options. */
  options?: Options;
  /** Overrides of the reference sessions' options. */
  sessions?: Partial<SessionsOptions>;
  /** A store to use instead of one of the kind's (e.g. `downStore()`). */
  store?: SessionStore;
}

/** The sessions of a reference app, its clock and the calls its store has seen. */
export interface ReferenceSessions {
  sessions: Sessions;
  /** Milliseconds since the epoch as the sessions see it; tests move it forward. */
  clock: { now: number };
  calls: StoreCalls;
}

/**
 * Sessions for a reference app: rotation every `ROTATION_INTERVAL` s (grace 10 s), fresh for
 * `FRESH_FOR` s, plain-HTTP cookies (`secure: false`), on a clock the test moves, with every
 * store call counted.
 */
export function referenceSessions(
  kind: StoreKind,
  config: Omit<AppConfig<unknown>, "options"> = {},
): ReferenceSessions {
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const counted = counting(config.store ?? kind.make(now));
  const sessions = createSessions({
    store: counted.store,
    rotation: { interval: ROTATION_INTERVAL, grace: 10 },
    freshFor: FRESH_FOR,
    cookie: { secure: false },
    now,
    ...config.sessions,
  });
  return { sessions, clock, calls: counted.calls };
}

/** A reference app listening on a loopback port. */
export interface RunningApp extends ReferenceSessions {
  url: string;
  /** A client of the app with an empty cookie jar. */
  client: Client;
}

/** The `tessera()` options the scenarios set; every framework's options have these. */
export interface CommonOptions {
  csrf?: boolean;
  allowedOrigins?: readonly string[];
}

/** Starts a reference app on the store kind the test chose. */
export type StartApp = (config?: AppConfig<CommonOptions>) => Promise<RunningApp>;

/** One behaviour, named as the test that checks it. */
export interface Scenario {
  name: string;
  run: (start: StartApp) => Promise<void>;
}

const sessionCookie = (line: string | undefined) => line?.split(";")[0]?.split("=")[1];

/** Cookie and bearer sessions, CSRF, freshness and logout: run on every store kind. */
export const sessionScenarios: Scenario[] = [
  {
    name: "sets a __Host- cookie with Secure, HttpOnly, SameSite=Lax and Path=/ by default",
    async run(start) {
      const { client } = await start({ sessions: { cookie: {} } });
      const login = await client.post("/login", { json: { user: uniqueUser("alice") } });
      expect(login.status).toBe(200);
      expect(login.cookie("__Host-session")).toMatch(
        /^__Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
    },
  },
  {
    name: "logs in with a cookie and shows the user on the next request",
    async run(start) {
      const { client } = await start();
      const alice = uniqueUser("alice");
      const login = await client.post("/login", { json: { user: alice, data: { role: "admin" } } });
      expect(login.cookie("session")).toMatch(
        /^session=[a-z2-7.]{57}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      expect(login.cookie("early")).toBe("early=1; Path=/");
      const me = await client.get("/me");
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        user: alice,
        data: { role: "admin" },
        fresh: true,
        source: "cookie",
        ip: "127.0.0.1",
      });
      expect(me.cookie("session")).toBeUndefined(); // nothing rotated: no cookie written
    },
  },
  {
    name: "sends the rotated cookie and keeps the cookies the app sets",
    async run(start) {
      const { client, clock } = await start();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const before = client.jar.get("session");
      clock.now += (ROTATION_INTERVAL + 1) * 1000;
      const rotated = await client.get("/theme");
      expect(rotated.body).toEqual({ user: alice });
      const after = sessionCookie(rotated.cookie("session"));
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
      expect(rotated.cookie("early")).toBe("early=1; Path=/");
      expect(rotated.cookie("theme")).toMatch(/^theme=dark/);
      expect(rotated.cookies).toHaveLength(3);
      expect((await client.get("/me")).body.user).toBe(alice);
    },
  },
  {
    name: "answers a bearer client's rotation in the tessera-token header, not a cookie",
    async run(start) {
      const { url, clock } = await start();
      const bob = uniqueUser("bob");
      const { token } = (await new Client(url).post("/login", { json: { user: bob } })).body;
      const bearer = new Client(url);
      const first = await bearer.get("/me", { bearer: token });
      expect(first.body).toMatchObject({ user: bob, source: "bearer" });
      expect(first.headers.get("tessera-token")).toBeNull();
      clock.now += (ROTATION_INTERVAL + 1) * 1000;
      const rotated = await bearer.get("/me", { bearer: token });
      const next = rotated.headers.get("tessera-token");
      expect(next).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
      expect(next).not.toBe(token);
      expect(rotated.cookie("session")).toBeUndefined();
      expect((await bearer.get("/me", { bearer: next! })).body.user).toBe(bob);
    },
  },
  {
    name: "refuses a cross-site POST with 403 before touching the store",
    async run(start) {
      const { client, calls } = await start();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const reads = calls.get;
      const attack = await client.post("/logout", {
        headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
      });
      expect(attack.status).toBe(403);
      expect(attack.body).toEqual({ error: "cross-site-request", reason: "cross-site" });
      const sandboxed = await client.post("/logout", { headers: { origin: "null" } });
      expect(sandboxed.status).toBe(403);
      expect(sandboxed.body.reason).toBe("opaque-origin");
      expect(calls.get).toBe(reads);
      expect((await client.get("/me")).status).toBe(200); // still logged in
    },
  },
  {
    name: "accepts same-origin POSTs by Sec-Fetch-Site or by Origin matching the Host",
    async run(start) {
      const { client, url } = await start();
      const viaFetchMetadata = await client.post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { origin: url, "sec-fetch-site": "same-origin" },
      });
      expect(viaFetchMetadata.status).toBe(200);
      const viaOrigin = await client.post("/logout", { headers: { origin: url } });
      expect(viaOrigin.status).toBe(200);
      expect(viaOrigin.body).toEqual({ ended: true });
    },
  },
  {
    name: "accepts the listed origins and no others",
    async run(start) {
      const { client } = await start({
        options: { allowedOrigins: ["https://admin.example.com"] },
      });
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
      const { client } = await start({ options: { csrf: false } });
      const login = await client.post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
      });
      expect(login.status).toBe(200);
    },
  },
  {
    name: "answers 403 after freshFor has passed on requireFresh routes, 401 without a session",
    async run(start) {
      const { client, clock } = await start();
      expect((await client.post("/transfer")).status).toBe(401);
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      expect((await client.post("/transfer")).body).toEqual({ transferred: true });
      clock.now += (FRESH_FOR + 1) * 1000;
      const stale = await client.post("/transfer");
      expect(stale.status).toBe(403);
      expect(stale.body).toEqual({ error: "not-fresh" });
      expect((await client.get("/me")).status).toBe(200); // still logged in, just not fresh
    },
  },
  {
    name: "logs out: revokes the session and clears the cookie",
    async run(start) {
      const { client } = await start();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const stolen = client.jar.get("session")!;
      const logout = await client.post("/logout");
      expect(logout.body).toEqual({ ended: true });
      expect(logout.cookie("session")).toBe("session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
      expect(logout.cookie("early")).toBe("early=1; Path=/");
      expect((await client.get("/me")).status).toBe(401);
      const replay = await client.get("/me", { headers: { cookie: `session=${stolen}` } });
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({ error: "unauthenticated", reason: "not-found" });
    },
  },
  {
    name: "logs out everywhere: ends the other devices' sessions and this one",
    async run(start) {
      const { client: laptop, url } = await start();
      const alice = uniqueUser("alice");
      const phone = new Client(url);
      await laptop.post("/login", { json: { user: alice } });
      await phone.post("/login", { json: { user: alice } });
      const everywhere = await laptop.post("/logout-everywhere");
      expect(everywhere.body).toEqual({ ended: 2 });
      expect(everywhere.cookie("session")).toMatch(/^session=; Max-Age=0/);
      expect((await phone.get("/me")).status).toBe(401);
      expect((await laptop.get("/me")).status).toBe(401);
    },
  },
  {
    name: "logs out other devices only with { keepCurrent: true }",
    async run(start) {
      const { client, url } = await start();
      const alice = uniqueUser("alice");
      const phone = new Client(url);
      const tablet = new Client(url);
      await client.post("/login", { json: { user: alice } });
      await phone.post("/login", { json: { user: alice } });
      await tablet.post("/login", { json: { user: alice } });
      const others = await client.post("/logout-everywhere", { json: { keepCurrent: true } });
      expect(others.body).toEqual({ ended: 2 });
      expect(others.cookie("session")).toBeUndefined();
      expect((await client.get("/me")).status).toBe(200);
      expect((await phone.get("/me")).status).toBe(401);
      expect((await tablet.get("/me")).status).toBe(401);
    },
  },
  {
    name: "revokes the session a request already had when it logs in again (no fixation)",
    async run(start) {
      const { client, clock } = await start();
      await client.post("/login", { json: { user: uniqueUser("mallory") } });
      const planted = client.jar.get("session")!;
      clock.now += (ROTATION_INTERVAL + 1) * 1000; // the old session rotates on this very request
      const victim = uniqueUser("victim");
      const login = await client.post("/login", { json: { user: victim } });
      expect(login.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
      expect(client.jar.get("session")).not.toBe(planted);
      expect((await client.get("/me")).body.user).toBe(victim);
      const old = await client.get("/me", { headers: { cookie: `session=${planted}` } });
      expect(old.status).toBe(401);
    },
  },
  {
    name: "treats an oversized or garbage cookie or bearer header as no session: 401, never 500",
    async run(start) {
      const { client, calls } = await start();
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
        const me = await client.get("/me", { headers: { authorization } });
        expect(me.status).toBe(401);
      }
      const reads = calls.get;
      const malformed = await client.get("/me", { headers: { cookie: "session=garbage" } });
      expect(malformed.body).toEqual({ error: "unauthenticated", reason: "malformed" });
      expect(malformed.cookie("session")).toMatch(/^session=; Max-Age=0/); // the browser forgets it
      expect(calls.get).toBe(reads); // malformed tokens never reach the store
    },
  },
];

/** A store outage: run on MemoryStore, with `downStore()` where the scenario asks for it. */
export const storeOutageScenarios: Scenario[] = [
  {
    name: "answers 503 JSON, never 401, and the server keeps serving",
    async run(start) {
      const { client, url } = await start();
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const cookie = client.jar.get("session")!;
      const down = await start({ store: downStore() });
      const browser = new Client(down.url);
      browser.jar.set("session", cookie);

      const me = await browser.get("/me");
      expect(me.status).toBe(503);
      expect(me.body).toEqual({ error: "store-unavailable" });
      expect(me.cookie("session")).toBeUndefined(); // the cookie is kept: nobody is logged out
      const login = await new Client(down.url).post("/login", { json: { user: "bob" } });
      expect(login.status).toBe(503);
      expect(login.body).toEqual({ error: "store-unavailable" });
      expect((await browser.post("/logout")).status).toBe(503);

      // Requests without a token never touch the store; the process is alive and serving.
      expect((await new Client(down.url).get("/public")).body).toEqual({ user: null });
      expect((await browser.get("/me")).status).toBe(503);
      expect((await new Client(url).get("/public")).status).toBe(200);
    },
  },
  {
    name: "leaves other application errors to the application",
    async run(start) {
      const { client } = await start({ store: downStore() });
      const boom = await client.get("/boom");
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ appError: "Error" });
    },
  },
];
