/**
 * @tessera/hono over real HTTP on @hono/node-server, against MemoryStore and a real Redis
 * (RedisStore), with requests sent by fetch to a listening server. The behaviour every framework
 * integration shares runs from @tessera/testing's scenarios on this file's reference app; the
 * rest of the file is what is Hono's own.
 */
import { createAdaptorServer } from "@hono/node-server";
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
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { describe, expect, it } from "vitest";
import {
  login,
  logout,
  logoutEverywhere,
  requireFresh,
  requireSession,
  type TesseraEnv,
  type TesseraOptions,
  tessera,
} from "../src/index.js";

const kinds = await storeKinds("hono");

/** Serves `app` on @hono/node-server until the test finishes; resolves its base URL. */
const serve = (app: Hono<any>) => listenForTest(createAdaptorServer({ fetch: app.fetch }) as never);

/**
 * The reference app of @tessera/testing's scenarios, on Hono: public, guarded and fresh-only
 * routes, login/logout/logout-everywhere, and a middleware before Tessera plus a route that set
 * cookies of their own.
 */
async function start(
  kind: StoreKind,
  config: AppConfig<TesseraOptions> & { configure?: (app: Hono) => void } = {},
): Promise<RunningApp> {
  const reference = referenceSessions(kind, config);
  // No generics: c.var.session is typed through hono's ContextVariableMap.
  const app = new Hono();
  app.use(async (c, next) => {
    c.header("Set-Cookie", "early=1; Path=/", { append: true });
    await next();
  });
  app.use(tessera(reference.sessions, config.options));
  config.configure?.(app);
  app.get("/public", (c) => c.json({ user: c.var.session?.userId ?? null }));
  app.get("/theme", (c) => {
    setCookie(c, "theme", "dark");
    return c.json({ user: c.var.session?.userId ?? null });
  });
  app.get("/raw", () => new Response("a raw response", { headers: { "x-raw": "1" } }));
  app.post("/login", async (c) => {
    const body = await c.req.json<{ user: string; data?: { role: string } }>();
    const { session, token } = await login(c, body.user, body.data);
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
    });
  });
  app.post("/transfer", requireFresh(), (c) => c.json({ transferred: true }));
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
  const url = await serve(app);
  return { ...reference, client: new Client(url), url };
}

const sessionCookie = (line: string | undefined) => line?.split(";")[0]?.split("=")[1];

describe.each(kinds)("Hono on @hono/node-server, $name", (kind) => {
  for (const scenario of sessionScenarios) {
    it(scenario.name, () => scenario.run((config) => start(kind, config)));
  }

  it("adds the rotated cookie to a raw Response the handler returned", async () => {
    const { client, clock } = await start(kind);
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const before = client.jar.get("session");
    clock.now += (ROTATION_INTERVAL + 1) * 1000;
    const raw = await client.get("/raw");
    expect(raw.body).toBe("a raw response");
    expect(raw.headers.get("x-raw")).toBe("1");
    expect(sessionCookie(raw.cookie("session"))).not.toBe(before);
    expect((await client.get("/me")).status).toBe(200);
  });

  it("validates once per request however often and deep the middleware is mounted", async () => {
    const setup = await start(kind);
    // Mounted twice at the top, in a routed sub-app, and in a separate app called with fetch.
    const fetched = new Hono();
    fetched.use(tessera(setup.sessions));
    fetched.get("*", requireSession(), (c) => c.json({ user: c.var.session!.userId }));
    const inner = new Hono<TesseraEnv>();
    inner.use(tessera(setup.sessions));
    inner.get("/me", requireSession(), (c) => c.json({ user: c.var.session!.userId }));
    inner.all("/fetched/*", (c) => fetched.fetch(c.req.raw));
    const outer = new Hono();
    outer.use(tessera(setup.sessions));
    outer.use(tessera(setup.sessions));
    outer.route("/nested", inner);
    const url = await serve(outer);

    const alice = uniqueUser("alice");
    await setup.client.post("/login", { json: { user: alice } });
    const client = new Client(url);
    client.jar.set("session", setup.client.jar.get("session")!);

    for (const path of ["/nested/me", "/nested/fetched/me"]) {
      const before = setup.calls.get;
      expect((await client.get(path)).body).toEqual({ user: alice });
      expect(setup.calls.get - before).toBe(1);
    }

    // A rotation through all the mounts: still one validate, and one cookie.
    setup.clock.now += (ROTATION_INTERVAL + 1) * 1000;
    const rotatedAt = setup.calls.get;
    const rotated = await client.get("/nested/fetched/me");
    expect(rotated.body).toEqual({ user: alice });
    expect(setup.calls.get - rotatedAt).toBe(1);
    expect(rotated.cookies.filter((line) => line.startsWith("session="))).toHaveLength(1);
    expect((await client.get("/nested/me")).body).toEqual({ user: alice });
  });

  it("answers refusals through onCrossSite and onRefused when given", async () => {
    const { client } = await start(kind, {
      options: { onCrossSite: (c, refusal) => c.text(`refused: ${refusal}`, 400) },
      configure: (app) => {
        const toLogin = requireSession({
          onRefused: (c, refusal) => c.redirect(`/login?status=${refusal.status}`),
        });
        app.get("/account", toLogin, (c) => c.text("account"));
      },
    });
    const attack = await client.post("/logout", { headers: { origin: "https://evil.test" } });
    expect(attack.status).toBe(400);
    expect(attack.body).toBe("refused: cross-site");
    const response = await fetch(`${client.base}/account`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?status=401");
  });

  it("binds to the address getClientIp reports", async () => {
    const { client } = await start(kind, {
      options: { getClientIp: (c) => c.req.header("x-real-ip") },
    });
    const proxied = { "x-real-ip": "203.0.113.7" };
    await client.post("/login", { json: { user: uniqueUser("alice") }, headers: proxied });
    expect((await client.get("/me", { headers: proxied })).body.ip).toBe("203.0.113.7");
  });
});

describe("Hono when the store is down", () => {
  for (const scenario of storeOutageScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }

  it("answers through onStoreUnavailable when given", async () => {
    const { client } = await start(memoryKind, {
      store: downStore(),
      options: {
        onStoreUnavailable: (c) => c.text("try again soon", 503, { "retry-after": "5" }),
      },
    });
    client.jar.set("session", `${"a".repeat(24)}.${"b".repeat(32)}`);
    const me = await client.get("/me");
    expect(me.status).toBe(503);
    expect(me.headers.get("retry-after")).toBe("5");
    expect(me.body).toBe("try again soon");
    const login = await client.post("/login", { json: { user: "bob" } });
    expect(login.body).toBe("try again soon");
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
