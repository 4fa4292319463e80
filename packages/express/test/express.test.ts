/**
 * @tessera/express over real HTTP: Express 5 and Express 4, each against MemoryStore and a real
 * Redis (RedisStore). The behaviour every integration shares runs from @tessera/test-kit's
 * scenarios on this file's reference app; the rest is what is Express's own.
 */
import { createServer } from "node:http";
import { createSessions, MemoryStore, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  Client,
  type CommonOptions,
  inProcessReferenceApp,
  listenForTest,
  memoryKind,
  policyScenarios,
  type ReferenceConfig,
  ROTATION_INTERVAL,
  reviewScenarios,
  type StoreKind,
  sessionScenarios,
  storeKinds,
  storeOutageScenarios,
  uniqueUser,
} from "@tessera/test-kit";
import express5, { type NextFunction, type Request, type Response } from "express";
import express4 from "express4";
import { describe, expect, it } from "vitest";
import {
  requireFresh,
  requireSession,
  storeErrorHandler,
  type TesseraOptions,
  tessera,
} from "../src/index.js";

type ExpressFactory = typeof express5;
type App = ReturnType<ExpressFactory>;
const frameworks: Array<[string, ExpressFactory]> = [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressFactory],
];

const kinds = await storeKinds("express");

/** Express 4 does not route rejected promises to error handlers; wrap async routes for both. */
const route =
  (handler: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

/** The reference app of @tessera/test-kit (REFERENCE_ROUTES), on Express. */
function referenceApp(
  express: ExpressFactory,
  sessions: Sessions,
  options: TesseraOptions,
  routes?: (app: App) => void,
): App {
  const app = express();
  app.use(express.json());
  app.use((_req, res, next) => {
    res.setHeader("Set-Cookie", "early=1; Path=/");
    next();
  });
  app.use(tessera(sessions, options));
  routes?.(app);
  const user = (req: Request) => ({ user: req.session?.userId ?? null });
  app.get("/public", (req, res) => {
    res.json(user(req));
  });
  app.get("/theme", (req, res) => {
    res.cookie("theme", "dark");
    res.json(user(req));
  });
  app.get("/cached", (req, res) => {
    res.set("Cache-Control", "public, max-age=60").json(user(req));
  });
  app.post(
    "/login",
    route(async (req, res) => {
      const { user, data, policy } = req.body;
      const { session, token } = await req.tessera.login({ userId: user, data, policy });
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
      ip: session.client.ip ?? null,
      source: req.tessera.source,
      impersonatedBy: session.impersonatedBy,
      policy: session.policy,
    });
  });
  app.post(
    "/guest",
    route(async (req, res) => {
      res.json({ guest: (await req.tessera.startGuest(req.body?.data))?.id ?? null });
    }),
  );
  app.get("/guest", (req, res) => {
    res.json({ guest: req.tessera.guest?.data ?? null });
  });
  app.post(
    "/impersonate",
    requireSession(),
    route(async (req, res) => {
      const { session } = await req.tessera.impersonate(req.body.user, { reason: req.body.reason });
      res.json({ user: session.userId, impersonatedBy: session.impersonatedBy });
    }),
  );
  app.post(
    "/impersonation/stop",
    requireSession(),
    route(async (req, res) => {
      res.json({ user: (await req.tessera.stopImpersonating())?.userId ?? null });
    }),
  );
  app.post("/transfer", requireFresh(), (_req, res) => {
    res.json({ transferred: true });
  });
  app.post(
    "/rotate",
    requireSession(),
    route(async (req, res) => {
      res.json({ rotated: (await req.tessera.rotate()) !== null });
    }),
  );
  app.post(
    "/step-up",
    requireSession(),
    route(async (req, res) => {
      res.json({ fresh: (await req.tessera.reauthenticate())?.fresh ?? false });
    }),
  );
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
      res.json({
        ended: await req.tessera.logoutEverywhere({ keepCurrent: req.body?.keepCurrent }),
      });
    }),
  );
  app.get("/boom", () => {
    throw new Error("an application bug");
  });
  app.use(storeErrorHandler());
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ appError: error.name });
  });
  return app;
}

function start(
  express: ExpressFactory,
  kind: StoreKind,
  config: ReferenceConfig & { options?: TesseraOptions & CommonOptions } = {},
  routes?: (app: App) => void,
) {
  return inProcessReferenceApp(kind, config, (sessions, options) =>
    listenForTest(createServer(referenceApp(express, sessions, options, routes))),
  );
}

describe.each(frameworks)("%s: session policies on MemoryStore", (_name, express) => {
  // The HTTP layer of the policies; every store proves guests, classes and epochs in its own
  // conformance suites (@tessera/store-test).
  for (const scenario of policyScenarios) {
    it(scenario.name, () => scenario.run((config) => start(express, memoryKind, config)));
  }
});

describe.each(frameworks)("%s", (_name, express) => {
  describe.each(kinds)("on $name", (kind) => {
    for (const scenario of [...sessionScenarios, ...reviewScenarios]) {
      it(scenario.name, () => scenario.run((config) => start(express, kind, config)));
    }

    it("validates once per request however often and deep the middleware is mounted", async () => {
      const app = await start(express, kind);
      const { sessions, calls } = app.reference;
      // Mounted twice at the top, again in a sub-app and again in a router inside it.
      const router = express.Router();
      router.use(tessera(sessions));
      router.get("/me", requireSession(), (req, res) => {
        res.json({ user: req.session!.userId });
      });
      const inner = express();
      inner.use(tessera(sessions));
      inner.use("/deep", router);
      const outer = express();
      outer.use(tessera(sessions));
      outer.use(tessera(sessions));
      outer.use("/nested", inner);
      const url = await listenForTest(createServer(outer));

      const alice = uniqueUser("alice");
      const login = app.client();
      await login.post("/login", { json: { user: alice } });
      const client = new Client(url);
      client.jar.set("session", login.jar.get("session")!);

      const before = calls.reads;
      expect((await client.get("/nested/deep/me")).body).toEqual({ user: alice });
      expect(calls.reads - before).toBe(1);

      // A rotation through all the mounts: still one validate, and one cookie.
      await app.advanceClock(ROTATION_INTERVAL + 1);
      const rotatedAt = calls.reads;
      const rotated = await client.get("/nested/deep/me");
      expect(rotated.body).toEqual({ user: alice });
      expect(calls.reads - rotatedAt).toBe(1);
      expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
      expect((await client.get("/nested/deep/me")).body).toEqual({ user: alice });
    });

    it("keeps two session managers of one app apart, each route with its own session", async () => {
      const app = await start(express, kind);
      const { sessions } = app.reference;
      const admin = createSessions({
        store: new MemoryStore(),
        cookie: { secure: false, name: "admin" },
      });
      const outer = express();
      outer.use(tessera(sessions));
      outer.use(tessera(admin));
      outer.get("/admin", (req, res) => {
        res.json({ user: req.session?.userId ?? null });
      });
      const user = express.Router();
      user.use(tessera(sessions));
      user.get("/me", (req, res) => {
        res.json({ user: req.session?.userId ?? null });
      });
      outer.use("/user", user);
      const url = await listenForTest(createServer(outer));

      const alice = uniqueUser("alice");
      const login = app.client();
      await login.post("/login", { json: { user: alice } });
      const boss = await admin.create({ userId: "boss" });
      const client = new Client(url);
      client.jar.set("session", login.jar.get("session")!);
      client.jar.set("admin", boss.token);
      expect((await client.get("/admin")).body).toEqual({ user: "boss" });
      expect((await client.get("/user/me")).body).toEqual({ user: alice });
    });

    it("answers refusals through onRefused when given", async () => {
      const app = await start(
        express,
        kind,
        {
          options: {
            onRefused: (answer, _req, res) => {
              res.status(400).send(`refused: ${answer.refusal.error}`);
            },
          },
        },
        (routes) => {
          routes.get(
            "/account",
            requireSession({
              onRefused: (answer, _req, res) => res.redirect(`/login?status=${answer.status}`),
            }),
            (_req, res) => {
              res.send("account");
            },
          );
        },
      );
      const attack = await app
        .client()
        .post("/logout", { headers: { origin: "https://evil.test" } });
      expect(attack.status).toBe(400);
      expect(attack.body).toBe("refused: cross-site-request");
      const response = await fetch(`${app.url}/account`, { redirect: "manual" });
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe("/login?status=401");
    });

    it("ignores Express's trust proxy: only trustedProxies makes proxy headers count", async () => {
      const app = await start(express, kind, {}, (routes) => routes.set("trust proxy", true));
      const client = app.client();
      const forwarded = { "x-forwarded-for": "203.0.113.7" };
      await client.post("/login", { json: { user: uniqueUser("a") }, headers: forwarded });
      expect((await client.get("/me", { headers: forwarded })).body.ip).toBe("127.0.0.1");
    });
  });

  describe("when the store fails", () => {
    for (const scenario of storeOutageScenarios) {
      it(scenario.name, () => scenario.run((config) => start(express, memoryKind, config)));
    }
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
      const url = await listenForTest(createServer(app));
      expect((await new Client(url).get("/me")).status).toBe(500);
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
      const url = await listenForTest(createServer(app));
      await new Client(url).get("/");
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
      expect(() => tessera(sessions, { trustedProxies: -1 })).toThrow(TesseraConfigError);
    });
  });
});
