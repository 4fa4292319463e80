/**
 * DBSC on Next.js route handlers (`withSession`), served over real HTTP by a plain Node server
 * that hands each request to the handler of its path, as `next start` would to `route.ts` files.
 * The DBSC routes are two more route handlers whose own code never runs: the gate answers them.
 */
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { withSession } from "@tessera/next";
import { DBSC_PATHS, dbscApp, dbscScenarios, listenForTest } from "@tessera/test-kit";
import { describe, it } from "vitest";
import { dbscReference } from "./reference.js";

async function start() {
  const { reference, sessions, dbsc } = dbscReference();
  const options = { dbsc };
  const notServed = () => new Response("the gate serves this route", { status: 500 });
  const routes: Record<string, (request: Request, context: unknown) => Promise<Response>> = {
    "POST /login": withSession(
      sessions,
      async (request, tessera) => {
        const { user } = await request.json();
        await tessera.login(user);
        return Response.json({ user });
      },
      options,
    ),
    "GET /me": withSession(
      sessions,
      (_request, tessera) => {
        const session = tessera.session!;
        return Response.json({
          user: session.userId,
          id: session.id,
          deviceBound: session.deviceBound,
        });
      },
      { ...options, require: "session" },
    ),
    "GET /devices": withSession(
      sessions,
      async (_request, tessera) => {
        const list = await sessions.list(tessera.session!.userId, { current: tessera.session!.id });
        return Response.json({
          devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
        });
      },
      { ...options, require: "session" },
    ),
    "POST /logout": withSession(
      sessions,
      async (_request, tessera) => Response.json({ ended: await tessera.logout() }),
      options,
    ),
    [`POST ${DBSC_PATHS.registration}`]: withSession(sessions, notServed, options),
    [`POST ${DBSC_PATHS.refresh}`]: withSession(sessions, notServed, options),
  };
  const listener = getRequestListener(async (request: Request) => {
    const route = routes[`${request.method} ${new URL(request.url).pathname}`];
    return route ? route(request, {}) : new Response("not found", { status: 404 });
  });
  return dbscApp(await listenForTest(createServer(listener)), reference);
}

describe("DBSC on Next.js route handlers", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(start));
});
