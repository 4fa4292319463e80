/**
 * @tessera/h3 over real HTTP on plain h3 v1 (`toNodeListener` + `http.createServer`), against
 * MemoryStore and a real Redis (RedisStore). The behaviour every integration shares runs from
 * @tessera/test-kit's scenarios on this file's reference app (on a Nuxt production build in
 * nuxt.test.ts, the DBSC flows in packages/dbsc/test/h3.test.ts); the rest is what is h3's own.
 */
import { createServer } from "node:http";
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
import {
  type App,
  appendResponseHeader,
  createApp,
  createRouter,
  defineEventHandler,
  type H3Event,
  type Router,
  readBody,
  sendRedirect,
  setResponseHeader,
  setResponseStatus,
  toNodeListener,
} from "h3";
import { describe, expect, it } from "vitest";
import {
  answerStoreError,
  requireFresh,
  requireSession,
  type TesseraOptions,
  tessera,
} from "../src/index.js";

const kinds = await storeKinds("h3");

const user = (event: H3Event) => ({ user: event.context.session?.userId ?? null });

/** The reference app of @tessera/test-kit (REFERENCE_ROUTES), on h3 v1 with its router. */
function referenceApp(
  sessions: Sessions,
  options: TesseraOptions,
  routes?: (router: Router) => void,
): App {
  const app = createApp({
    // The app's own error handler: Tessera's store failures are answered 503 first.
    onError(error, event) {
      if (answerStoreError(error, event)) return;
      setResponseStatus(event, 500);
      return event.node.res.end(JSON.stringify({ appError: (error.cause as Error).name }));
    },
  });
  app.use(
    defineEventHandler((event) => {
      appendResponseHeader(event, "set-cookie", "early=1; Path=/");
    }),
  );
  app.use(tessera(sessions, options));
  const router = createRouter();
  routes?.(router);
  router.get("/public", defineEventHandler(user));
  router.get(
    "/theme",
    defineEventHandler((event) => {
      appendResponseHeader(event, "set-cookie", "theme=dark; Path=/");
      return user(event);
    }),
  );
  router.get(
    "/cached",
    defineEventHandler((event) => {
      setResponseHeader(event, "cache-control", "public, max-age=60");
      return user(event);
    }),
  );
  router.post(
    "/login",
    defineEventHandler(async (event) => {
      const body = await readBody<{
        user: string;
        data?: Record<string, unknown>;
        policy?: string;
      }>(event);
      const { user: userId, data, policy } = body;
      const { session, token } = await event.context.tessera.login({ userId, data, policy });
      return { user: session.userId, token };
    }),
  );
  router.get(
    "/me",
    defineEventHandler({
      onRequest: [requireSession()],
      handler(event) {
        const session = event.context.session!;
        return {
          user: session.userId,
          id: session.id,
          data: session.data,
          fresh: session.fresh,
          ip: session.client.ip ?? null,
          source: event.context.tessera.source,
          impersonatedBy: session.impersonatedBy,
          policy: session.policy,
        };
      },
    }),
  );
  router.post(
    "/guest",
    defineEventHandler(async (event) => {
      const body = await readBody<{ data?: Record<string, unknown> } | undefined>(event);
      return { guest: (await event.context.tessera.startGuest(body?.data))?.id ?? null };
    }),
  );
  router.get(
    "/guest",
    defineEventHandler((event) => ({ guest: event.context.tessera.guest?.data ?? null })),
  );
  router.post(
    "/impersonate",
    defineEventHandler({
      onRequest: [requireSession()],
      handler: async (event) => {
        const body = await readBody<{ user: string; reason: string }>(event);
        const { session } = await event.context.tessera.impersonate(body.user, {
          reason: body.reason,
        });
        return { user: session.userId, impersonatedBy: session.impersonatedBy };
      },
    }),
  );
  router.post(
    "/impersonation/stop",
    defineEventHandler({
      onRequest: [requireSession()],
      handler: async (event) => ({
        user: (await event.context.tessera.stopImpersonating())?.userId ?? null,
      }),
    }),
  );
  router.post(
    "/transfer",
    defineEventHandler({ onRequest: [requireFresh()], handler: () => ({ transferred: true }) }),
  );
  router.post(
    "/rotate",
    defineEventHandler({
      onRequest: [requireSession()],
      handler: async (event) => ({ rotated: (await event.context.tessera.rotate()) !== null }),
    }),
  );
  router.post(
    "/step-up",
    defineEventHandler({
      onRequest: [requireSession()],
      handler: async (event) => ({
        fresh: (await event.context.tessera.reauthenticate())?.fresh ?? false,
      }),
    }),
  );
  router.post(
    "/logout",
    defineEventHandler(async (event) => ({ ended: await event.context.tessera.logout() })),
  );
  router.post(
    "/logout-everywhere",
    defineEventHandler({
      onRequest: [requireSession()],
      handler: async (event) => {
        const body = await readBody<{ keepCurrent?: boolean } | undefined>(event);
        return {
          ended: await event.context.tessera.logoutEverywhere({ keepCurrent: body?.keepCurrent }),
        };
      },
    }),
  );
  router.get(
    "/boom",
    defineEventHandler(() => {
      throw new Error("an application bug");
    }),
  );
  app.use(router);
  return app;
}

function start(
  kind: StoreKind,
  config: ReferenceConfig & { options?: TesseraOptions & CommonOptions } = {},
  routes?: (router: Router) => void,
) {
  return inProcessReferenceApp(kind, config, (sessions, options) =>
    listenForTest(createServer(toNodeListener(referenceApp(sessions, options, routes)))),
  );
}

describe.each(kinds)("h3 v1 on $name", (kind) => {
  for (const scenario of sessionScenarios) {
    it(scenario.name, () => scenario.run((config) => start(kind, config)));
  }

  it("validates once per request, also when the middleware is mounted twice", async () => {
    let again: ReturnType<typeof tessera> | undefined;
    const app = await start(kind, {}, (router) => {
      router.get(
        "/nested/me",
        defineEventHandler({
          onRequest: [(event) => again!(event), requireSession()],
          handler: (event) => ({ user: event.context.session!.userId }),
        }),
      );
    });
    again = tessera(app.reference.sessions);
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
      kind,
      {
        options: {
          onRefused: (answer, event) => {
            setResponseStatus(event, 400);
            return `refused: ${answer.refusal.error}`;
          },
        },
      },
      (router) => {
        router.get(
          "/account",
          defineEventHandler({
            onRequest: [
              requireSession({
                onRefused: (answer, event) => sendRedirect(event, `/login?status=${answer.status}`),
              }),
            ],
            handler: () => "account",
          }),
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

  it("reads the socket, not X-Forwarded-For or X-Forwarded-Proto, without trustedProxies", async () => {
    const sessions = createSessions({ store: kind.make(Date.now), cookie: { secure: false } });
    const app = createApp();
    app.use(tessera(sessions));
    app.use(
      defineEventHandler(async (event) => {
        await event.context.tessera.login((await readBody<{ user: string }>(event)).user);
        return { ip: event.context.session!.client.ip };
      }),
    );
    const url = await listenForTest(createServer(toNodeListener(app)));
    const headers = { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" };
    const login = await new Client(url).post("/login", {
      json: { user: uniqueUser("a") },
      headers,
    });
    expect(login.body).toEqual({ ip: "127.0.0.1" });
    // A cross-site POST claiming https through the header is still refused: http is the origin.
    const forged = await new Client(url).post("/login", {
      json: { user: uniqueUser("b") },
      headers: { ...headers, origin: `https://${new URL(url).host}` },
    });
    expect(forged.status).toBe(403);
  });
});

describe("h3 v1: session policies on MemoryStore", () => {
  // The HTTP layer of the policies; every store proves guests, classes and epochs in its own
  // conformance suites (@tessera/store-test).
  for (const scenario of policyScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("h3 v1 when the store fails", () => {
  for (const scenario of storeOutageScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("h3 v1 configuration", () => {
  it("refuses contradictory options and reports a guard without the middleware", async () => {
    const sessions = createSessions({ store: memoryKind.make(Date.now) });
    expect(() => tessera({} as Sessions)).toThrow(TesseraConfigError);
    expect(() => tessera(sessions, { csrf: false, allowedOrigins: [] })).toThrow(
      TesseraConfigError,
    );
    expect(() => tessera(sessions, { trustedProxies: -1 })).toThrow(TesseraConfigError);

    let seen: unknown;
    const app = createApp({
      onError(error) {
        seen = error.cause;
      },
    });
    app.use(requireSession());
    const url = await listenForTest(createServer(toNodeListener(app)));
    expect((await new Client(url).get("/me")).status).toBe(500);
    expect(seen).toBeInstanceOf(TesseraConfigError);
  });
});
