/** DBSC on h3 v1: the shared flows and attacks over real HTTP, `dbsc` as the one option. */
import { createServer } from "node:http";
import { requireSession, tessera } from "@tessera/h3";
import { dbscApp, dbscScenarios, listenForTest } from "@tessera/test-kit";
import { createApp, createRouter, defineEventHandler, readBody, toNodeListener } from "h3";
import { describe, it } from "vitest";
import { dbscReference } from "./reference.js";

async function start() {
  const { reference, sessions, dbsc } = dbscReference();
  const app = createApp();
  app.use(tessera(sessions, { dbsc }));
  const router = createRouter();
  router.post(
    "/login",
    defineEventHandler(async (event) => {
      const { user } = await readBody<{ user: string }>(event);
      await event.context.tessera.login(user);
      return { user };
    }),
  );
  router.get(
    "/me",
    defineEventHandler({
      onRequest: [requireSession()],
      handler(event) {
        const session = event.context.session!;
        return { user: session.userId, id: session.id, deviceBound: session.deviceBound };
      },
    }),
  );
  router.get(
    "/devices",
    defineEventHandler({
      onRequest: [requireSession()],
      async handler(event) {
        const session = event.context.session!;
        const list = await sessions.list(session.userId, { current: session.id });
        return {
          devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
        };
      },
    }),
  );
  router.post(
    "/logout",
    defineEventHandler(async (event) => ({ ended: await event.context.tessera.logout() })),
  );
  app.use(router);
  return dbscApp(await listenForTest(createServer(toNodeListener(app))), reference);
}

describe("DBSC on h3 v1", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(start));
});
