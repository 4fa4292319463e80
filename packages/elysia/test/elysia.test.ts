/**
 * @tessera/elysia over real HTTP on Node.js (`@elysiajs/node`, in this process), against
 * MemoryStore and a real Redis (RedisStore). bun.test.ts runs the same scenarios on Bun; the DBSC
 * flows run in both. The rest is what is Elysia's own.
 */
import { node } from "@elysiajs/node";
import { createSessions, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  Client,
  type CommonOptions,
  freePort,
  inProcessReferenceApp,
  memoryKind,
  policyScenarios,
  type ReferenceConfig,
  type StoreKind,
  sessionScenarios,
  storeKinds,
  storeOutageScenarios,
  uniqueUser,
} from "@tessera/test-kit";
import { Elysia } from "elysia";
import { describe, expect, it, onTestFinished } from "vitest";
import { requireSession, type TesseraOptions, tessera } from "../src/index.js";
import { referenceApp } from "./reference-app.js";

const kinds = await storeKinds("elysia");

/** Listens on a free loopback port with @elysiajs/node; stopped when the test finishes. */
/** The part of an Elysia app `listen` uses (any app, whatever its routes' types). */
/** What @elysiajs/node hands the listen callback: `raw` is srvx's server, listening once ready. */
type NodeServer = { stop(): unknown; raw?: { ready(): Promise<unknown> } };

interface Listening {
  listen(options: { port: number; hostname: string }, ready: (server: NodeServer) => void): unknown;
}

async function listen(app: Listening): Promise<string> {
  const port = await freePort();
  // @elysiajs/node hands its server to the callback (app.stop() does not reach it).
  const server = await new Promise<NodeServer>((resolve) =>
    app.listen({ port, hostname: "127.0.0.1" }, resolve),
  );
  await server.raw?.ready();
  onTestFinished(async () => {
    await server.stop();
  });
  return `http://127.0.0.1:${port}`;
}

function start(
  kind: StoreKind,
  config: ReferenceConfig & { options?: TesseraOptions & CommonOptions } = {},
) {
  return inProcessReferenceApp(kind, config, (sessions: Sessions, options) =>
    listen(referenceApp(sessions, options, node())),
  );
}

describe.each(kinds)("Elysia on Node.js (@elysiajs/node) on $name", (kind) => {
  for (const scenario of sessionScenarios) {
    it(scenario.name, () => scenario.run((config) => start(kind, config)));
  }

  it("keeps the context's session in step with login and logout in the same request", async () => {
    const sessions = createSessions({ store: kind.make(Date.now), cookie: { secure: false } });
    const app = new Elysia({ adapter: node() })
      .use(tessera(sessions))
      .post("/login-and-out", async (context) => {
        const user = uniqueUser("a");
        const before = context.session;
        await context.tessera.login(user);
        const during = context.session?.userId === user;
        await context.tessera.logout();
        return { before, during, after: context.session };
      });
    const url = await listen(app);
    const answer = await new Client(url).post("/login-and-out");
    expect(answer.body).toEqual({ before: null, during: true, after: null });
  });

  it("answers refusals through onRefused when given", async () => {
    const sessions = createSessions({ store: kind.make(Date.now), cookie: { secure: false } });
    const app = new Elysia({ adapter: node() })
      .use(
        tessera(sessions, {
          onRefused: (answer, { set }) => {
            set.status = 400;
            return `refused: ${answer.refusal.error}`;
          },
        }),
      )
      .post("/logout", async ({ tessera }) => ({ ended: await tessera.logout() }))
      .get("/account", () => "account", {
        beforeHandle: requireSession({
          // Elysia's redirect() needs an absolute URL on Node.js: the redirect by hand.
          onRefused: (answer, { set }) => {
            set.status = 302;
            set.headers.location = `/login?status=${answer.status}`;
            return "";
          },
        }),
      });
    const url = await listen(app);
    const attack = await new Client(url).post("/logout", {
      headers: { origin: "https://evil.test", cookie: "session=x" },
    });
    expect(attack.status).toBe(400);
    expect(attack.body).toBe("refused: cross-site-request");
    const response = await fetch(`${url}/account`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?status=401");
  });

  it("reads the socket, not X-Forwarded-For or X-Forwarded-Proto, without trustedProxies", async () => {
    const sessions = createSessions({ store: kind.make(Date.now), cookie: { secure: false } });
    const app = new Elysia({ adapter: node() })
      .use(tessera(sessions))
      .post("/login", async ({ body, tessera }) => {
        await tessera.login((body as { user: string }).user);
        return { ip: tessera.session!.client.ip };
      });
    const url = await listen(app);
    const headers = { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" };
    const login = await new Client(url).post("/login", {
      json: { user: uniqueUser("a") },
      headers,
    });
    expect(login.body).toEqual({ ip: "127.0.0.1" });
    const forged = await new Client(url).post("/login", {
      json: { user: uniqueUser("b") },
      headers: { ...headers, origin: `https://${new URL(url).host}` },
    });
    expect(forged.status).toBe(403);
  });
});

describe("Elysia on Node.js: session policies on MemoryStore", () => {
  // The HTTP layer of the policies; every store proves guests, classes and epochs in its own
  // conformance suites (@tessera/store-test).
  for (const scenario of policyScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("Elysia on Node.js when the store fails", () => {
  for (const scenario of storeOutageScenarios) {
    it(scenario.name, () => scenario.run((config) => start(memoryKind, config)));
  }
});

describe("Elysia configuration", () => {
  it("refuses contradictory options and reports a guard without the plugin", async () => {
    const sessions = createSessions({ store: memoryKind.make(Date.now) });
    expect(() => tessera({} as Sessions)).toThrow(TesseraConfigError);
    expect(() => tessera(sessions, { csrf: false, allowedOrigins: [] })).toThrow(
      TesseraConfigError,
    );
    expect(() => tessera(sessions, { trustedProxies: -1 })).toThrow(TesseraConfigError);
    let seen: unknown;
    const app = new Elysia({ adapter: node() })
      .onError(({ error }) => {
        seen = error;
      })
      .get("/me", () => "unreachable", { beforeHandle: requireSession() });
    const url = await listen(app);
    expect((await new Client(url).get("/me")).status).toBe(500);
    expect(seen).toBeInstanceOf(TesseraConfigError);
  });
});
