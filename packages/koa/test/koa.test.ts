/**
 * @tessera/koa over real HTTP: Koa 3 and Koa 2 behind `http.createServer(app.callback())`, each
 * against MemoryStore and a real Redis (RedisStore). The behaviour every integration shares runs
 * from @tessera/test-kit's scenarios on this file's reference app (the DBSC flows from
 * packages/dbsc/test/koa.test.ts); the rest is what is Koa's own.
 */
import { createServer } from "node:http";
import Router from "@koa/router";
import { createSessions, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  Client,
  type CommonOptions,
  inProcessReferenceApp,
  listenForTest,
  memoryKind,
  policyScenarios,
  type ReferenceConfig,
  ROTATION_INTERVAL,
  type StoreKind,
  sessionScenarios,
  storeKinds,
  storeOutageScenarios,
  uniqueUser,
} from "@tessera/test-kit";
import Koa3, { type Context } from "koa";
import Koa2 from "koa2";
import { describe, expect, it } from "vitest";
import {
  requireFresh,
  requireSession,
  type TesseraOptions,
  type TesseraState,
  tessera,
} from "../src/index.js";

type KoaClass = typeof Koa3;
type App = Koa3;
const frameworks: Array<[string, KoaClass]> = [
  ["Koa 3", Koa3],
  ["Koa 2", Koa2 as unknown as KoaClass],
];

const kinds = await storeKinds("koa");

/** The request's JSON body (Koa parses none itself; apps use a body parser). */
async function json(ctx: Context): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of ctx.req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The reference app of @tessera/test-kit (REFERENCE_ROUTES), on Koa with @koa/router. */
function referenceApp(
  Koa: KoaClass,
  sessions: Sessions,
  options: TesseraOptions,
  routes?: (router: Router<TesseraState>) => void,
): App {
  const app = new Koa();
  // The app's own error handler: Tessera's store failures never reach it (answered 503).
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = 500;
      ctx.body = { appError: (error as Error).name };
    }
  });
  app.use(async (ctx, next) => {
    ctx.append("set-cookie", "early=1; Path=/");
    await next();
  });
  app.use(tessera(sessions, options));
  const router = new Router<TesseraState>();
  routes?.(router);
  const user = (ctx: { state: TesseraState }) => ({ user: ctx.state.session?.userId ?? null });
  router.get("/public", (ctx) => {
    ctx.body = user(ctx);
  });
  router.get("/theme", (ctx) => {
    ctx.cookies.set("theme", "dark", { httpOnly: false });
    ctx.body = user(ctx);
  });
  router.get("/cached", (ctx) => {
    ctx.set("cache-control", "public, max-age=60");
    ctx.body = user(ctx);
  });
  router.post("/login", async (ctx) => {
    const body = await json(ctx);
    const { session, token } = await ctx.state.tessera.login({
      userId: body.user as string,
      data: body.data as Record<string, unknown> | undefined,
      policy: body.policy as string | undefined,
    });
    ctx.body = { user: session.userId, token };
  });
  router.get("/me", requireSession(), (ctx) => {
    const session = ctx.state.session!;
    ctx.body = {
      user: session.userId,
      id: session.id,
      data: session.data,
      fresh: session.fresh,
      ip: session.client.ip ?? null,
      source: ctx.state.tessera.source,
      impersonatedBy: session.impersonatedBy,
      policy: session.policy,
    };
  });
  router.post("/guest", async (ctx) => {
    const body = await json(ctx);
    const guest = await ctx.state.tessera.startGuest(
      body.data as Record<string, unknown> | undefined,
    );
    ctx.body = { guest: guest?.id ?? null };
  });
  router.get("/guest", (ctx) => {
    ctx.body = { guest: ctx.state.tessera.guest?.data ?? null };
  });
  router.post("/impersonate", requireSession(), async (ctx) => {
    const body = await json(ctx);
    const { session } = await ctx.state.tessera.impersonate(body.user as string, {
      reason: body.reason as string,
    });
    ctx.body = { user: session.userId, impersonatedBy: session.impersonatedBy };
  });
  router.post("/impersonation/stop", requireSession(), async (ctx) => {
    ctx.body = { user: (await ctx.state.tessera.stopImpersonating())?.userId ?? null };
  });
  router.post("/transfer", requireFresh(), (ctx) => {
    ctx.body = { transferred: true };
  });
  router.post("/rotate", requireSession(), async (ctx) => {
    ctx.body = { rotated: (await ctx.state.tessera.rotate()) !== null };
  });
  router.post("/step-up", requireSession(), async (ctx) => {
    ctx.body = { fresh: (await ctx.state.tessera.reauthenticate())?.fresh ?? false };
  });
  router.post("/logout", async (ctx) => {
    ctx.body = { ended: await ctx.state.tessera.logout() };
  });
  router.post("/logout-everywhere", requireSession(), async (ctx) => {
    const body = await json(ctx);
    ctx.body = {
      ended: await ctx.state.tessera.logoutEverywhere({ keepCurrent: body.keepCurrent === true }),
    };
  });
  router.get("/boom", () => {
    throw new Error("an application bug");
  });
  app.use(router.routes());
  return app;
}

function start(
  Koa: KoaClass,
  kind: StoreKind,
  config: ReferenceConfig & { options?: TesseraOptions & CommonOptions } = {},
  routes?: (router: Router<TesseraState>) => void,
) {
  return inProcessReferenceApp(kind, config, (sessions, options) =>
    listenForTest(createServer(referenceApp(Koa, sessions, options, routes).callback())),
  );
}

describe.each(frameworks)("%s", (_name, Koa) => {
  describe.each(kinds)("on $name", (kind) => {
    for (const scenario of sessionScenarios) {
      it(scenario.name, () => scenario.run((config) => start(Koa, kind, config)));
    }

    it("validates once per request, also when a sub-app mounts the middleware again", async () => {
      let sessionsOfApp: Sessions | undefined;
      const app = await start(Koa, kind, {}, (router) => {
        router.get("/nested/me", async (ctx, next) => {
          // What koa-mount does: the sub-app's middleware runs on the same context.
          await tessera(sessionsOfApp!)(ctx, async () => {
            await requireSession()(ctx, async () => {
              ctx.body = { user: ctx.state.session!.userId };
            });
          });
          await next();
        });
      });
      sessionsOfApp = app.reference.sessions;
      const client = app.client();
      const alice = uniqueUser("alice");
      await client.post("/login", { json: { user: alice } });
      const before = app.reference.calls.reads;
      expect((await client.get("/nested/me")).body).toEqual({ user: alice });
      expect(app.reference.calls.reads - before).toBe(1);
      await app.advanceClock(ROTATION_INTERVAL + 1);
      const rotated = await client.get("/nested/me");
      expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
      expect((await client.get("/nested/me")).body).toEqual({ user: alice });
    });

    it("answers refusals through onRefused when given", async () => {
      const app = await start(
        Koa,
        kind,
        {
          options: {
            onRefused: (answer, ctx) => {
              ctx.status = 400;
              ctx.body = `refused: ${answer.refusal.error}`;
            },
          },
        },
        (router) => {
          router.get(
            "/account",
            requireSession({
              onRefused: (answer, ctx) => ctx.redirect(`/login?status=${answer.status}`),
            }),
            (ctx) => {
              ctx.body = "account";
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

    it("ignores Koa's app.proxy: only trustedProxies makes proxy headers count", async () => {
      const sessions = createSessions({ store: kind.make(Date.now), cookie: { secure: false } });
      const app = new Koa({ proxy: true });
      app.use(tessera(sessions));
      app.use(async (ctx) => {
        const body = (await json(ctx)) as { user: string };
        await ctx.state.tessera.login(body.user);
        ctx.body = { ip: ctx.state.session!.client.ip, koaIp: ctx.ip };
      });
      const url = await listenForTest(createServer(app.callback()));
      const login = await new Client(url).post("/login", {
        json: { user: uniqueUser("a") },
        headers: { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" },
      });
      expect(login.body).toEqual({ ip: "127.0.0.1", koaIp: "203.0.113.7" });
      // The cookie is the plain-HTTP one: the connection, not the header, says what is secure.
      expect(login.cookie("session")).toBeDefined();
    });
  });

  describe("session policies on MemoryStore", () => {
    // The HTTP layer of the policies; every store proves guests, classes and epochs in its own
    // conformance suites (@tessera/store-test).
    for (const scenario of policyScenarios) {
      it(scenario.name, () => scenario.run((config) => start(Koa, memoryKind, config)));
    }
  });

  describe("when the store fails", () => {
    for (const scenario of storeOutageScenarios) {
      it(scenario.name, () => scenario.run((config) => start(Koa, memoryKind, config)));
    }
  });

  it("refuses contradictory options and reports a guard without the middleware", async () => {
    const sessions = createSessions({ store: memoryKind.make(Date.now) });
    expect(() => tessera({} as Sessions)).toThrow(TesseraConfigError);
    expect(() => tessera(sessions, { csrf: false, allowedOrigins: [] })).toThrow(
      TesseraConfigError,
    );
    expect(() => tessera(sessions, { trustedProxies: -1 })).toThrow(TesseraConfigError);

    const app = new Koa();
    let seen: unknown;
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        seen = error;
        ctx.status = 500;
      }
    });
    app.use(requireSession());
    const url = await listenForTest(createServer(app.callback()));
    expect((await new Client(url).get("/me")).status).toBe(500);
    expect(seen).toBeInstanceOf(TesseraConfigError);
  });
});
