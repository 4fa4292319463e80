/**
 * @tessera/express over real HTTP: Express 5 and Express 4, each against MemoryStore and a real
 * Redis, with requests sent by fetch to a listening server.
 */
import { createServer } from "node:http";
import {
  createSessions,
  type SessionStore,
  type Sessions,
  type SessionsOptions,
  TesseraConfigError,
} from "@tessera/core";
import express5, { type NextFunction, type Request, type Response } from "express";
import express4 from "express4";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  requireFresh,
  requireSession,
  storeErrorHandler,
  type TesseraOptions,
  tessera,
} from "../src/index.js";
import {
  Client,
  connectRedis,
  counting,
  downStore,
  dropPrefix,
  listen,
  memoryKind,
  redisKind,
  type StoreKind,
  uniqueUser,
} from "./support.js";

type ExpressFactory = typeof express5;
const frameworks: Array<[string, ExpressFactory]> = [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressFactory],
];

const redis = await connectRedis();
const prefix = `tessera-express-test:${Date.now().toString(36)}-${process.pid}:`;
const kinds: StoreKind[] = [memoryKind, ...(redis ? [redisKind(redis, prefix)] : [])];

afterAll(async () => {
  if (!redis) return;
  await dropPrefix(redis, prefix);
  await redis.quit();
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Express 4 does not route rejected promises to error handlers; wrap async routes for both. */
const route =
  (handler: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

const INTERVAL = 60;
const FRESH_FOR = 600;

interface Setup {
  client: Client;
  url: string;
  sessions: Sessions;
  clock: { now: number };
  calls: ReturnType<typeof counting>["calls"];
}

/**
 * The app under test: public, guarded and fresh-only routes, login/logout/logout-everywhere,
 * and a middleware before Tessera plus a route that set cookies of their own.
 */
async function start(
  express: ExpressFactory,
  kind: StoreKind,
  config: {
    options?: TesseraOptions;
    sessions?: Partial<SessionsOptions>;
    store?: SessionStore;
    configure?: (app: ReturnType<ExpressFactory>) => void;
    routes?: (app: ReturnType<ExpressFactory>) => void;
  } = {},
): Promise<Setup> {
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const counted = counting(config.store ?? kind.make(now));
  const sessions = createSessions({
    store: counted.store,
    rotation: { interval: INTERVAL, grace: 10 },
    freshFor: FRESH_FOR,
    cookie: { secure: false },
    now,
    ...config.sessions,
  });
  const app = express();
  app.use(express.json());
  config.configure?.(app);
  app.use((_req, res, next) => {
    res.setHeader("Set-Cookie", "early=1; Path=/");
    next();
  });
  app.use(tessera(sessions, config.options));
  config.routes?.(app);
  app.get("/public", (req, res) => {
    res.json({ user: req.session?.userId ?? null });
  });
  app.get("/theme", (req, res) => {
    res.cookie("theme", "dark");
    res.json({ user: req.session?.userId ?? null });
  });
  app.post(
    "/login",
    route(async (req, res) => {
      const { session, token } = await req.tessera.login(req.body.user, req.body.data);
      res.json({ user: session.userId, token });
    }),
  );
  app.get("/me", requireSession(), (req, res) => {
    const session = req.session!;
    res.json({
      user: session.userId,
      id: session.id,
      data: session.data,
      fresh: session.fresh,
      ip: session.client.ip,
      source: req.tessera.source,
    });
  });
  app.post("/transfer", requireFresh(), (_req, res) => {
    res.json({ transferred: true });
  });
  app.post(
    "/logout",
    route(async (req, res) => {
      res.json({ ended: await req.tessera.logout() });
    }),
  );
  app.post(
    "/logout-everywhere",
    requireSession(),
    route(async (req, res) => {
      const ended = await req.tessera.logoutEverywhere({ keepCurrent: req.body?.keepCurrent });
      res.json({ ended });
    }),
  );
  app.get("/boom", () => {
    throw new Error("an application bug");
  });
  app.use(storeErrorHandler());
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ appError: error.name });
  });
  const server = await listen(createServer(app));
  closers.push(server.close);
  return { client: new Client(server.url), url: server.url, sessions, clock, calls: counted.calls };
}

const sessionCookie = (line: string | undefined) => line?.split(";")[0]?.split("=")[1];

describe.each(frameworks)("%s", (_name, express) => {
  describe.each(kinds)("on $name", (kind) => {
    it("sets a __Host- cookie with Secure, HttpOnly, SameSite=Lax and Path=/ by default", async () => {
      const { client } = await start(express, kind, { sessions: { cookie: {} } });
      const login = await client.post("/login", { json: { user: uniqueUser("alice") } });
      expect(login.status).toBe(200);
      expect(login.cookie("__Host-session")).toMatch(
        /^__Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
    });

    it("logs in with a cookie and shows the user on the next request", async () => {
      const { client } = await start(express, kind);
      const alice = uniqueUser("alice");
      const login = await client.post("/login", { json: { user: alice, data: { role: "admin" } } });
      expect(login.cookie("session")).toMatch(
        /^session=[a-z2-7.]{57}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      const me = await client.get("/me");
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        user: alice,
        data: { role: "admin" },
        fresh: true,
        source: "cookie",
      });
      expect(me.cookie("session")).toBeUndefined(); // nothing rotated: no cookie written
    });

    it("sends the rotated cookie and keeps the cookies the app sets", async () => {
      const { client, clock } = await start(express, kind);
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const before = client.jar.get("session");
      clock.now += (INTERVAL + 1) * 1000;
      const rotated = await client.get("/theme");
      expect(rotated.body).toEqual({ user: alice });
      const after = sessionCookie(rotated.cookie("session"));
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
      expect(rotated.cookie("early")).toBe("early=1; Path=/");
      expect(rotated.cookie("theme")).toMatch(/^theme=dark/);
      expect(rotated.cookies).toHaveLength(3);
      expect((await client.get("/me")).body.user).toBe(alice);
    });

    it("answers a bearer client's rotation in the tessera-token header, not a cookie", async () => {
      const { url, clock } = await start(express, kind);
      const cli = new Client(url);
      const bob = uniqueUser("bob");
      const { token } = (await cli.post("/login", { json: { user: bob } })).body;
      const bearer = new Client(url);
      const first = await bearer.get("/me", { bearer: token });
      expect(first.body).toMatchObject({ user: bob, source: "bearer" });
      expect(first.headers.get("tessera-token")).toBeNull();
      clock.now += (INTERVAL + 1) * 1000;
      const rotated = await bearer.get("/me", { bearer: token });
      const next = rotated.headers.get("tessera-token");
      expect(next).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
      expect(next).not.toBe(token);
      expect(rotated.cookie("session")).toBeUndefined();
      expect((await bearer.get("/me", { bearer: next! })).body.user).toBe(bob);
    });

    it("validates once per request however often and deep the middleware is mounted", async () => {
      const setup = await start(express, kind);
      // Mounted twice at the top, again in a sub-app and again in a router inside it.
      const router = express.Router();
      router.use(tessera(setup.sessions));
      router.get("/me", requireSession(), (req, res) => {
        res.json({ user: req.session!.userId });
      });
      const inner = express();
      inner.use(tessera(setup.sessions));
      inner.use("/deep", router);
      const outer = express();
      outer.use(tessera(setup.sessions));
      outer.use(tessera(setup.sessions));
      outer.use("/nested", inner);
      const server = await listen(createServer(outer));
      closers.push(server.close);

      const alice = uniqueUser("alice");
      await setup.client.post("/login", { json: { user: alice } });
      const client = new Client(server.url);
      client.jar.set("session", setup.client.jar.get("session")!);

      const before = setup.calls.get;
      expect((await client.get("/nested/deep/me")).body).toEqual({ user: alice });
      expect(setup.calls.get - before).toBe(1);

      // A rotation through all the mounts: still one validate, and one cookie.
      setup.clock.now += (INTERVAL + 1) * 1000;
      const rotatedAt = setup.calls.get;
      const rotated = await client.get("/nested/deep/me");
      expect(rotated.body).toEqual({ user: alice });
      expect(setup.calls.get - rotatedAt).toBe(1);
      expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
      expect((await client.get("/nested/deep/me")).body).toEqual({ user: alice });
    });

    it("refuses a cross-site POST with 403 before touching the store", async () => {
      const { client, calls } = await start(express, kind);
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
    });

    it("accepts same-origin POSTs by Sec-Fetch-Site or by Origin matching the Host", async () => {
      const { client, url } = await start(express, kind);
      const viaFetchMetadata = await client.post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { origin: url, "sec-fetch-site": "same-origin" },
      });
      expect(viaFetchMetadata.status).toBe(200);
      const viaOrigin = await client.post("/logout", { headers: { origin: url } });
      expect(viaOrigin.status).toBe(200);
      expect(viaOrigin.body).toEqual({ ended: true });
    });

    it("accepts the listed origins and no others", async () => {
      const { client } = await start(express, kind, {
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
    });

    it("lets cross-site requests through with csrf: false", async () => {
      const { client } = await start(express, kind, { options: { csrf: false } });
      const login = await client.post("/login", {
        json: { user: uniqueUser("alice") },
        headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
      });
      expect(login.status).toBe(200);
    });

    it("answers refusals through onCrossSite and onRefused when given", async () => {
      const { client } = await start(express, kind, {
        options: {
          onCrossSite: (refusal, _req, res) => {
            res.status(400).send(`refused: ${refusal}`);
          },
        },
        routes: (app) => {
          app.get(
            "/account",
            requireSession({
              onRefused: (refusal, _req, res) => res.redirect(`/login?status=${refusal.status}`),
            }),
            (_req, res) => {
              res.send("account");
            },
          );
        },
      });
      const attack = await client.post("/logout", { headers: { origin: "https://evil.test" } });
      expect(attack.status).toBe(400);
      expect(attack.body).toBe("refused: cross-site");
      const response = await fetch(`${client.base}/account`, { redirect: "manual" });
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe("/login?status=401");
    });

    it("answers 403 after freshFor has passed on requireFresh routes, 401 without a session", async () => {
      const { client, clock } = await start(express, kind);
      expect((await client.post("/transfer")).status).toBe(401);
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      expect((await client.post("/transfer")).body).toEqual({ transferred: true });
      clock.now += (FRESH_FOR + 1) * 1000;
      const stale = await client.post("/transfer");
      expect(stale.status).toBe(403);
      expect(stale.body).toEqual({ error: "not-fresh" });
      expect((await client.get("/me")).status).toBe(200); // still logged in, just not fresh
    });

    it("logs out: revokes the session and clears the cookie", async () => {
      const { client } = await start(express, kind);
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
    });

    it("logs out everywhere: ends the other devices' sessions and this one", async () => {
      const { client, url } = await start(express, kind);
      const alice = uniqueUser("alice");
      const laptop = client;
      const phone = new Client(url);
      await laptop.post("/login", { json: { user: alice } });
      await phone.post("/login", { json: { user: alice } });
      const everywhere = await laptop.post("/logout-everywhere");
      expect(everywhere.body).toEqual({ ended: 2 });
      expect(everywhere.cookie("session")).toMatch(/^session=; Max-Age=0/);
      expect((await phone.get("/me")).status).toBe(401);
      expect((await laptop.get("/me")).status).toBe(401);
    });

    it("logs out other devices only with { keepCurrent: true }", async () => {
      const { client, url } = await start(express, kind);
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
    });

    it("revokes the session a request already had when it logs in again (no fixation)", async () => {
      const { client, clock } = await start(express, kind);
      await client.post("/login", { json: { user: uniqueUser("mallory") } });
      const planted = client.jar.get("session")!;
      clock.now += (INTERVAL + 1) * 1000; // the old session rotates on this very request
      const victim = uniqueUser("victim");
      const login = await client.post("/login", { json: { user: victim } });
      expect(login.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
      expect(client.jar.get("session")).not.toBe(planted);
      expect((await client.get("/me")).body.user).toBe(victim);
      const old = await client.get("/me", { headers: { cookie: `session=${planted}` } });
      expect(old.status).toBe(401);
    });

    it("treats an oversized or garbage cookie or bearer header as no session: 401, never 500", async () => {
      const { client, calls } = await start(express, kind);
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
    });

    it("records the client IP Express reports, honouring trust proxy", async () => {
      const trusting = await start(express, kind, {
        configure: (app) => app.set("trust proxy", "loopback"),
      });
      const forwarded = { "x-forwarded-for": "203.0.113.7" };
      await trusting.client.post("/login", { json: { user: uniqueUser("a") }, headers: forwarded });
      expect((await trusting.client.get("/me", { headers: forwarded })).body.ip).toBe(
        "203.0.113.7",
      );

      const direct = await start(express, kind);
      await direct.client.post("/login", { json: { user: uniqueUser("b") }, headers: forwarded });
      expect((await direct.client.get("/me")).body.ip).toBe("127.0.0.1");
    });

    it("compares Origin with X-Forwarded-Host only behind a trusted proxy", async () => {
      const headers = { origin: "https://app.example.com", "x-forwarded-host": "app.example.com" };
      const trusting = await start(express, kind, {
        configure: (app) => app.set("trust proxy", "loopback"),
      });
      const behindProxy = await trusting.client.post("/login", {
        json: { user: uniqueUser("a") },
        headers,
      });
      expect(behindProxy.status).toBe(200);
      const direct = await start(express, kind);
      expect((await direct.client.post("/login", { json: { user: "b" }, headers })).status).toBe(
        403,
      );
    });
  });

  describe("when the store is down", () => {
    it("answers 503 JSON, never 401, and the server keeps serving", async () => {
      const { client, url } = await start(express, memoryKind);
      await client.post("/login", { json: { user: uniqueUser("alice") } });
      const cookie = client.jar.get("session")!;
      const down = await start(express, memoryKind, { store: downStore() });
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
    });

    it("leaves other application errors to the application", async () => {
      const { client } = await start(express, memoryKind, { store: downStore() });
      const boom = await client.get("/boom");
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ appError: "Error" });
    });

    it("answers through onStoreUnavailable when given", async () => {
      const { client } = await start(express, memoryKind, {
        store: downStore(),
        options: {
          onStoreUnavailable: (_error, _req, res) => {
            res.status(503).set("Retry-After", "5").send("try again soon");
          },
        },
      });
      client.jar.set("session", `${"a".repeat(24)}.${"b".repeat(32)}`);
      const me = await client.get("/me");
      expect(me.status).toBe(503);
      expect(me.headers.get("retry-after")).toBe("5");
      expect(me.body).toBe("try again soon");
    });
  });

  describe("configuration", () => {
    it("reports guards mounted without tessera() as a configuration error", async () => {
      const app = express();
      let seen: unknown;
      app.get("/me", requireSession(), (_req, res) => {
        res.send("unreachable");
      });
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        seen = error;
        res.status(500).end();
      });
      const server = await listen(createServer(app));
      closers.push(server.close);
      expect((await new Client(server.url).get("/me")).status).toBe(500);
      expect(seen).toBeInstanceOf(TesseraConfigError);
    });

    it("refuses to share req.session with express-session", async () => {
      const sessions = createSessions({ store: memoryKind.make(Date.now) });
      const app = express();
      let seen: unknown;
      app.use((req, _res, next) => {
        (req as unknown as { session: unknown }).session = { regenerate() {}, cookie: {} };
        next();
      });
      app.use(tessera(sessions));
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        seen = error;
        res.status(500).end();
      });
      const server = await listen(createServer(app));
      closers.push(server.close);
      await new Client(server.url).get("/");
      expect(seen).toBeInstanceOf(TesseraConfigError);
      expect(String(seen)).toMatch(/express-session/);
    });

    it("rejects what is not a session manager and contradictory options", () => {
      expect(() => tessera({} as Sessions)).toThrow(TesseraConfigError);
      const sessions = createSessions({ store: memoryKind.make(Date.now) });
      expect(() => tessera(sessions, { csrf: false, allowedOrigins: [] })).toThrow(
        TesseraConfigError,
      );
      expect(() => tessera(sessions, { allowedOrigins: ["https://a.test/path"] })).toThrow(
        TesseraConfigError,
      );
    });
  });
});
