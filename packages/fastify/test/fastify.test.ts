/**
 * @tessera/fastify over real HTTP: Fastify 5 listening on loopback, against MemoryStore and a
 * real Redis (RedisStore). The behaviour every integration shares runs from @tessera/test-kit's
 * scenarios on this file's reference app; the rest is what is Fastify's own.
 */
import { createSessions, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  Client,
  inProcessReferenceApp,
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
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { describe, expect, it, onTestFinished } from "vitest";
import { requireFresh, requireSession, type TesseraPluginOptions, tessera } from "../src/index.js";

const kinds = await storeKinds("fastify");

async function listen(app: FastifyInstance): Promise<string> {
  onTestFinished(() => app.close());
  return app.listen({ port: 0, host: "127.0.0.1" });
}

/** The reference app of @tessera/test-kit (REFERENCE_ROUTES), on Fastify. */
async function referenceApp(
  sessions: Sessions,
  options: Omit<TesseraPluginOptions, "sessions">,
  routes?: (app: FastifyInstance) => void,
) {
  const app = Fastify();
  app.addHook("onRequest", async (_request, reply) => {
    reply.header("set-cookie", "early=1; Path=/");
  });
  await app.register(tessera, { sessions, ...options });
  routes?.(app);
  const user = (request: FastifyRequest) => ({ user: request.session?.userId ?? null });
  app.get("/public", async (request) => user(request));
  app.get("/theme", async (request, reply) => {
    reply.header("set-cookie", "theme=dark; Path=/");
    return user(request);
  });
  app.get("/cached", async (request, reply) => {
    reply.header("cache-control", "public, max-age=60");
    return user(request);
  });
  app.post<{ Body: { user: string; data?: Record<string, unknown>; policy?: string } }>(
    "/login",
    async (request) => {
      const { user: userId, data, policy } = request.body;
      const { session, token } = await request.tessera.login({ userId, data, policy });
      return { user: session.userId, token };
    },
  );
  app.get("/me", { preHandler: requireSession() }, async (request) => {
    const session = request.session!;
    return {
      user: session.userId,
      id: session.id,
      data: session.data,
      fresh: session.fresh,
      ip: session.client.ip ?? null,
      source: request.tessera.source,
      impersonatedBy: session.impersonatedBy,
      policy: session.policy,
    };
  });
  app.post<{ Body: { data?: Record<string, unknown> } | undefined }>("/guest", async (request) => ({
    guest: (await request.tessera.startGuest(request.body?.data))?.id ?? null,
  }));
  app.get("/guest", async (request) => ({ guest: request.tessera.guest?.data ?? null }));
  app.post<{ Body: { user: string; reason: string } }>(
    "/impersonate",
    { preHandler: requireSession() },
    async (request) => {
      const { user, reason } = request.body;
      const { session } = await request.tessera.impersonate(user, { reason });
      return { user: session.userId, impersonatedBy: session.impersonatedBy };
    },
  );
  app.post("/impersonation/stop", { preHandler: requireSession() }, async (request) => ({
    user: (await request.tessera.stopImpersonating())?.userId ?? null,
  }));
  app.post("/transfer", { preHandler: requireFresh() }, async () => ({ transferred: true }));
  app.post("/rotate", { preHandler: requireSession() }, async (request) => ({
    rotated: (await request.tessera.rotate()) !== null,
  }));
  app.post("/step-up", { preHandler: requireSession() }, async (request) => ({
    fresh: (await request.tessera.reauthenticate())?.fresh ?? false,
  }));
  app.post("/logout", async (request) => ({ ended: await request.tessera.logout() }));
  app.post<{ Body: { keepCurrent?: boolean } | undefined }>(
    "/logout-everywhere",
    { preHandler: requireSession() },
    async (request) => ({
      ended: await request.tessera.logoutEverywhere({ keepCurrent: request.body?.keepCurrent }),
    }),
  );
  app.get("/boom", async () => {
    throw new Error("an application bug");
  });
  // The app's own error handler: Tessera's store failures never reach it (answered 503).
  app.setErrorHandler((error: Error, _request, reply) => {
    reply.code(500).send({ appError: error.name });
  });
  return app;
}

function start(
  kind: StoreKind,
  config: ReferenceConfig & { options?: Omit<TesseraPluginOptions, "sessions"> } = {},
  routes?: (app: FastifyInstance) => void,
) {
  return inProcessReferenceApp(kind, config, async (sessions, options) =>
    listen(await referenceApp(sessions, options, routes)),
  );
}

describe.each(kinds)("Fastify 5 on $name", (kind) => {
  for (const scenario of [...sessionScenarios, ...reviewScenarios]) {
    it(scenario.name, () => scenario.run((config) => start(kind, config)));
  }

  it("validates once per request, also for routes in encapsulated child plugins", async () => {
    const app = await start(kind, {}, (routes) => {
      routes.register(async (child) => {
        child.get("/child/me", { preHandler: requireSession() }, async (request) => ({
          user: request.session!.userId,
        }));
      });
    });
    const client = app.client();
    const alice = uniqueUser("alice");
    await client.post("/login", { json: { user: alice } });
    const before = app.reference.calls.reads;
    expect((await client.get("/child/me")).body).toEqual({ user: alice });
    expect(app.reference.calls.reads - before).toBe(1);
    await app.advanceClock(ROTATION_INTERVAL + 1);
    const rotated = await client.get("/child/me");
    expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
    expect((await client.get("/child/me")).body).toEqual({ user: alice });
  });

  it("answers refusals through onRefused when given", async () => {
    const app = await start(
      kind,
      {
        options: {
          onRefused: (answer, _request, reply) =>
            reply.code(400).send(`refused: ${answer.refusal.error}`),
        },
      },
      (routes) => {
        routes.get(
          "/account",
          {
            preHandler: requireSession({
              onRefused: (answer, _request, reply) =>
                reply.redirect(`/login?status=${answer.status}`),
            }),
          },
          async () => "account",
        );
      },
    );
    const attack = await app.client().post("/logout", { headers: { origin: "https://evil.test" } });
    expect(attack.status).toBe(400);
    expect(attack.body).toBe("refused: cross-site-request");
    const response = await fetch(`${app.url}/account`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?status=401");
  });

  it("ignores Fastify's trustProxy: only trustedProxies makes proxy headers count", async () => {
    const sessions = createSessions({ store: kind.make(Date.now), cookie: { secure: false } });
    const app = Fastify({ trustProxy: true });
    await app.register(tessera, { sessions });
    app.post<{ Body: { user: string } }>("/login", async (request) => {
      await request.tessera.login(request.body.user);
      return { ip: request.session!.client.ip };
    });
    const url = await listen(app);
    const login = await new Client(url).post("/login", {
      json: { user: uniqueUser("a") },
      headers: { "x-forwarded-for": "203.0.113.7" },
    });
    expect(login.body).toEqual({ ip: "127.0.0.1" });
  });
});

describe("Fastify 5: session policies on MemoryStore", () => {
  // The HTTP layer of the policies; every store proves guests, classes and epochs in its own
  // conformance suites (@tessera/store-test).
  for (const scenario of policyScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("Fastify when the store fails", () => {
  for (const scenario of storeOutageScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("Fastify configuration", () => {
  it("refuses to register without a session manager or with contradictory options", async () => {
    const sessions = createSessions({ store: memoryKind.make(Date.now) });
    for (const options of [
      {} as TesseraPluginOptions,
      { sessions, csrf: false, allowedOrigins: [] },
      { sessions, trustedProxies: -1 },
    ]) {
      const app = Fastify();
      app.register(tessera, options);
      await expect(app.ready()).rejects.toBeInstanceOf(TesseraConfigError);
      await app.close();
    }
  });

  it("reports a guard on a route without the plugin as a configuration error", async () => {
    const app = Fastify();
    let seen: unknown;
    app.get("/me", { preHandler: requireSession() }, async () => "unreachable");
    app.setErrorHandler((error, _request, reply) => {
      seen = error;
      reply.code(500).send();
    });
    const url = await listen(app);
    expect((await new Client(url).get("/me")).status).toBe(500);
    expect(seen).toBeInstanceOf(TesseraConfigError);
  });
});
