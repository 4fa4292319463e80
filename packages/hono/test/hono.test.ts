/**
 * @tessera/hono over real HTTP on @hono/node-server, against MemoryStore and a real Redis
 * (RedisStore). The behaviour every integration shares runs from @tessera/test-kit's scenarios on
 * this file's reference app; the rest of the file is what is Hono's own.
 */
import { createAdaptorServer } from "@hono/node-server";
import { createSessions, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  Client,
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
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { describe, expect, it } from "vitest";
import {
  login,
  logout,
  logoutEverywhere,
  reauthenticate,
  requireFresh,
  requireSession,
  rotate,
  type TesseraEnv,
  type TesseraOptions,
  tessera,
} from "../src/index.js";

const kinds = await storeKinds("hono");

/** Serves `app` on @hono/node-server until the test finishes; resolves its base URL. */
const serve = (app: Hono<any>) => listenForTest(createAdaptorServer({ fetch: app.fetch }) as never);

/** The reference app of @tessera/test-kit (REFERENCE_ROUTES), on Hono. */
function referenceApp(
  sessions: Sessions,
  options: TesseraOptions,
  configure?: (app: Hono) => void,
) {
  // No generics: c.var.session is typed through hono's ContextVariableMap.
  const app = new Hono();
  app.use(async (c, next) => {
    c.header("Set-Cookie", "early=1; Path=/", { append: true });
    await next();
  });
  app.use(tessera(sessions, options));
  configure?.(app);
  const user = (c: { var: { session: { userId: string } | null } }) => ({
    user: c.var.session?.userId ?? null,
  });
  app.get("/public", (c) => c.json(user(c)));
  app.get("/theme", (c) => {
    setCookie(c, "theme", "dark");
    return c.json(user(c));
  });
  app.get("/cached", (c) => c.json(user(c), 200, { "cache-control": "public, max-age=60" }));
  app.get("/raw", () => new Response("a raw response", { headers: { "x-raw": "1" } }));
  // A response whose headers are immutable (Fetch's Response.redirect): Tessera's cookie still.
  app.get("/away", () => Response.redirect("http://127.0.0.1/elsewhere", 302));
  app.post("/login", async (c) => {
    const body = await c.req.json<{ user: string; data?: { role: string }; policy?: string }>();
    const { user: userId, data, policy } = body;
    const { session, token } = await login(c, { userId, data, policy });
    return c.json({ user: session.userId, token });
  });
  app.get("/me", requireSession(), (c) => {
    const session = c.var.session!;
    return c.json({
      user: session.userId,
      id: session.id,
      data: session.data,
      fresh: session.fresh,
      ip: session.client.ip ?? null,
      source: c.var.tessera.source,
      impersonatedBy: session.impersonatedBy,
      policy: session.policy,
    });
  });
  app.post("/guest", async (c) => {
    const body = await c.req.json<{ data?: Record<string, unknown> }>().catch(() => ({}));
    const guest = await c.var.tessera.startGuest((body as { data?: Record<string, unknown> }).data);
    return c.json({ guest: guest?.id ?? null });
  });
  app.get("/guest", (c) => c.json({ guest: c.var.tessera.guest?.data ?? null }));
  app.post("/impersonate", requireSession(), async (c) => {
    const body = await c.req.json<{ user: string; reason: string }>();
    const { session } = await c.var.tessera.impersonate(body.user, { reason: body.reason });
    return c.json({ user: session.userId, impersonatedBy: session.impersonatedBy });
  });
  app.post("/impersonation/stop", requireSession(), async (c) =>
    c.json({ user: (await c.var.tessera.stopImpersonating())?.userId ?? null }),
  );
  app.post("/transfer", requireFresh(), (c) => c.json({ transferred: true }));
  app.post("/rotate", requireSession(), async (c) =>
    c.json({ rotated: (await rotate(c)) !== null }),
  );
  app.post("/step-up", requireSession(), async (c) =>
    c.json({ fresh: (await reauthenticate(c))?.fresh ?? false }),
  );
  app.post("/logout", async (c) => c.json({ ended: await logout(c) }));
  app.post("/logout-everywhere", requireSession(), async (c) => {
    const body = await c.req.json<{ keepCurrent?: boolean }>().catch(() => ({}));
    const keepCurrent = (body as { keepCurrent?: boolean }).keepCurrent;
    return c.json({ ended: await logoutEverywhere(c, { keepCurrent }) });
  });
  app.get("/boom", () => {
    throw new Error("an application bug");
  });
  app.onError((error, c) => c.json({ appError: error.name }, 500));
  return app;
}

function start(
  kind: StoreKind,
  config: ReferenceConfig & { options?: TesseraOptions } = {},
  configure?: (app: Hono) => void,
) {
  return inProcessReferenceApp(kind, config, (sessions, options) =>
    serve(referenceApp(sessions, options, configure)),
  );
}

const sessionCookie = (line: string | undefined) => line?.split(";")[0]?.split("=")[1];

describe.each(kinds)("Hono on @hono/node-server, $name", (kind) => {
  for (const scenario of [...sessionScenarios, ...reviewScenarios]) {
    it(scenario.name, () => scenario.run((config) => start(kind, config)));
  }

  it("adds the rotated cookie to a raw Response the handler returned, immutable headers too", async () => {
    const app = await start(kind);
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const before = client.jar.get("session");
    await app.advanceClock(ROTATION_INTERVAL + 1);
    const raw = await client.get("/raw");
    expect(raw.body).toBe("a raw response");
    expect(raw.headers.get("x-raw")).toBe("1");
    expect(sessionCookie(raw.cookie("session"))).not.toBe(before);
    expect(raw.headers.get("cache-control")).toBe("private, no-store");
    expect((await client.get("/me")).status).toBe(200);

    const rotated = client.jar.get("session");
    await app.advanceClock(ROTATION_INTERVAL + 1);
    const away = await fetch(`${app.url}/away`, {
      redirect: "manual",
      headers: { cookie: `session=${rotated}` },
    });
    expect(away.status).toBe(302);
    expect(away.headers.get("location")).toBe("http://127.0.0.1/elsewhere");
    const line = away.headers.getSetCookie().find((cookie) => cookie.startsWith("session="));
    expect(sessionCookie(line)).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
    expect(sessionCookie(line)).not.toBe(rotated);
    expect(away.headers.get("cache-control")).toBe("private, no-store");
  });

  it("validates once per request however often and deep the middleware is mounted", async () => {
    const app = await start(kind);
    const { sessions, calls } = app.reference;
    // Mounted twice at the top, in a routed sub-app, and in a separate app called with fetch.
    const fetched = new Hono();
    fetched.use(tessera(sessions));
    fetched.get("*", requireSession(), (c) => c.json({ user: c.var.session!.userId }));
    const inner = new Hono<TesseraEnv>();
    inner.use(tessera(sessions));
    inner.get("/me", requireSession(), (c) => c.json({ user: c.var.session!.userId }));
    inner.all("/fetched/*", (c) => fetched.fetch(c.req.raw));
    const outer = new Hono();
    outer.use(tessera(sessions));
    outer.use(tessera(sessions));
    outer.route("/nested", inner);
    const url = await serve(outer);

    const alice = uniqueUser("alice");
    const login = app.client();
    await login.post("/login", { json: { user: alice } });
    const client = new Client(url);
    client.jar.set("session", login.jar.get("session")!);

    for (const path of ["/nested/me", "/nested/fetched/me"]) {
      const before = calls.reads;
      expect((await client.get(path)).body).toEqual({ user: alice });
      expect(calls.reads - before).toBe(1);
    }

    // A rotation through all the mounts: still one validate, and one cookie.
    await app.advanceClock(ROTATION_INTERVAL + 1);
    const rotatedAt = calls.reads;
    const rotated = await client.get("/nested/fetched/me");
    expect(rotated.body).toEqual({ user: alice });
    expect(calls.reads - rotatedAt).toBe(1);
    expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
    expect((await client.get("/nested/me")).body).toEqual({ user: alice });
  });

  it("answers refusals through onRefused when given", async () => {
    const app = await start(
      kind,
      { options: { onRefused: (c, answer) => c.text(`refused: ${answer.refusal.error}`, 400) } },
      (routes) => {
        const toLogin = requireSession({
          onRefused: (c, answer) => c.redirect(`/login?status=${answer.status}`),
        });
        routes.get("/account", toLogin, (c) => c.text("account"));
      },
    );
    const attack = await app.client().post("/logout", { headers: { origin: "https://evil.test" } });
    expect(attack.status).toBe(400);
    expect(attack.body).toBe("refused: cross-site-request");
    const response = await fetch(`${app.url}/account`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?status=401");
  });

  it("binds to the address getRemoteAddress reports", async () => {
    const app = await start(kind, {
      options: { getRemoteAddress: (c) => c.req.header("x-test-peer") },
    });
    const client = app.client();
    const peer = { "x-test-peer": "203.0.113.7" };
    await client.post("/login", { json: { user: uniqueUser("alice") }, headers: peer });
    expect((await client.get("/me", { headers: peer })).body.ip).toBe("203.0.113.7");
  });
});

describe("Hono: session policies on MemoryStore", () => {
  // The HTTP layer of the policies; every store proves guests, classes and epochs in its own
  // conformance suites (@tessera/store-test).
  for (const scenario of policyScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("Hono when the store fails", () => {
  for (const scenario of storeOutageScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }

  it("answers through onRefused when given, in the middleware and in a handler", async () => {
    const app = await start(memoryKind, {
      options: {
        onRefused: (c, answer) => c.text("try again soon", answer.status, { "retry-after": "5" }),
      },
    });
    await app.setStore("down");
    const client = app.client();
    client.jar.set("session", `${"a".repeat(24)}.${"b".repeat(32)}`);
    const me = await client.get("/me");
    expect(me.status).toBe(503);
    expect(me.headers.get("retry-after")).toBe("5");
    expect(me.body).toBe("try again soon");
    const login = await app.client().post("/login", { json: { user: "bob" } });
    expect(login.status).toBe(503);
    expect(login.body).toBe("try again soon");
  });
});

describe("Hono: what a finished request keeps", () => {
  it("leaves no session state on the Request once it is answered, while nested mounts still share it", async () => {
    const sessions = createSessions({ store: memoryKind.make(Date.now) });
    const { token } = await sessions.create({ userId: "alice" });
    const CHECKED = Symbol.for("tessera.hono.checked");
    const during: unknown[] = [];
    const inner = new Hono();
    inner.use(tessera(sessions));
    inner.get("*", (c) => {
      during.push((c.req.raw as unknown as Record<symbol, unknown>)[CHECKED]);
      return c.json({ user: c.var.session?.userId ?? null });
    });
    const app = new Hono();
    app.use(tessera(sessions));
    app.all("/inner/*", (c) => inner.fetch(c.req.raw));
    const request = new Request("http://localhost/inner/me", {
      headers: { cookie: `${sessions.cookie.name}=${token}` },
    });
    const response = await app.fetch(request);
    expect(await response.json()).toEqual({ user: "alice" });
    // The inner app found the outer mount's state on the Request while it ran...
    expect(during).toHaveLength(1);
    expect(during[0]).toBeDefined();
    // ...and nothing of it is left there afterwards, so it can be collected with the response.
    expect((request as unknown as Record<symbol, unknown>)[CHECKED]).toBeUndefined();
  });
});

describe("Hono configuration", () => {
  it("reports helpers and guards used without tessera() as a configuration error", async () => {
    const app = new Hono();
    const seen: unknown[] = [];
    app.get("/me", requireSession(), (c) => c.text("unreachable"));
    app.post("/login", async (c) => {
      await login(c, "alice");
      return c.text("unreachable");
    });
    app.onError((error, c) => {
      seen.push(error);
      return c.text("misconfigured", 500);
    });
    expect((await app.request("/me")).status).toBe(500);
    expect((await app.request("/login", { method: "POST" })).status).toBe(500);
    expect(seen).toHaveLength(2);
    for (const error of seen) expect(error).toBeInstanceOf(TesseraConfigError);
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
