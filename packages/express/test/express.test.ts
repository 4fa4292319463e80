/**
 * @tessera/express over real HTTP: Express 5 and Express 4, each against MemoryStore and a real
 * Redis (RedisStore), with requests sent by fetch to a listening server. The behaviour every
 * framework integration shares runs from @tessera/testing's scenarios on this file's reference
 * app; the rest of the file is what is Express's own.
 */
import { createServer } from "node:http";
import { createSessions, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  type AppConfig,
  Client,
  downStore,
  listenForTest,
  memoryKind,
  ROTATION_INTERVAL,
  type RunningApp,
  referenceSessions,
  type StoreKind,
  sessionScenarios,
  storeKinds,
  storeOutageScenarios,
  uniqueUser,
} from "@tessera/testing";
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

/**
 * The reference app of @tessera/testing's scenarios, on Express: public, guarded and fresh-only
 * routes, login/logout/logout-everywhere, and a middleware before Tessera plus a route that set
 * cookies of their own.
 */
async function start(
  express: ExpressFactory,
  kind: StoreKind,
  config: AppConfig<TesseraOptions> & {
    configure?: (app: ReturnType<ExpressFactory>) => void;
    routes?: (app: ReturnType<ExpressFactory>) => void;
  } = {},
): Promise<RunningApp> {
  const reference = referenceSessions(kind, config);
  const app = express();
  app.use(express.json());
  config.configure?.(app);
  app.use((_req, res, next) => {
    res.setHeader("Set-Cookie", "early=1; Path=/");
    next();
  });
  app.use(tessera(reference.sessions, config.options));
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
  const url = await listenForTest(createServer(app));
  return { ...reference, client: new Client(url), url };
}

describe.each(frameworks)("%s", (_name, express) => {
  describe.each(kinds)("on $name", (kind) => {
    for (const scenario of sessionScenarios) {
      it(scenario.name, () => scenario.run((config) => start(express, kind, config)));
    }

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
      const url = await listenForTest(createServer(outer));

      const alice = uniqueUser("alice");
      await setup.client.post("/login", { json: { user: alice } });
      const client = new Client(url);
      client.jar.set("session", setup.client.jar.get("session")!);

      const before = setup.calls.get;
      expect((await client.get("/nested/deep/me")).body).toEqual({ user: alice });
      expect(setup.calls.get - before).toBe(1);

      // A rotation through all the mounts: still one validate, and one cookie.
      setup.clock.now += (ROTATION_INTERVAL + 1) * 1000;
      const rotatedAt = setup.calls.get;
      const rotated = await client.get("/nested/deep/me");
      expect(rotated.body).toEqual({ user: alice });
      expect(setup.calls.get - rotatedAt).toBe(1);
      expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
      expect((await client.get("/nested/deep/me")).body).toEqual({ user: alice });
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
    for (const scenario of storeOutageScenarios) {
      it(scenario.name, () => scenario.run((config) => start(express, memoryKind, config)));
    }

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
    });
  });
});
