/** DBSC on Elysia (Node.js, `@elysiajs/node`): the shared flows and attacks over real HTTP. */
import { node } from "@elysiajs/node";
import { requireSession, tessera } from "@tessera/elysia";
import { dbscApp, dbscScenarios, freePort } from "@tessera/test-kit";
import { Elysia } from "elysia";
import { describe, it, onTestFinished } from "vitest";
import { dbscReference } from "./reference.js";

async function start() {
  const { reference, sessions, dbsc } = dbscReference();
  const app = new Elysia({ adapter: node() })
    .use(tessera(sessions, { dbsc }))
    .post("/login", async ({ body, tessera }) => {
      const { user } = body as { user: string };
      await tessera.login(user);
      return { user };
    })
    .get(
      "/me",
      ({ session }) => ({
        user: session!.userId,
        id: session!.id,
        deviceBound: session!.deviceBound,
      }),
      { beforeHandle: requireSession() },
    )
    .get(
      "/devices",
      async ({ session }) => {
        const list = await sessions.list(session!.userId, { current: session!.id });
        return {
          devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
        };
      },
      { beforeHandle: requireSession() },
    )
    .post("/logout", async ({ tessera }) => ({ ended: await tessera.logout() }));
  const port = await freePort();
  // @elysiajs/node hands srvx's server as `raw`: listening once it is ready.
  const server = await new Promise<{ stop(): unknown; raw?: { ready(): Promise<unknown> } }>(
    (resolve) => app.listen({ port, hostname: "127.0.0.1" }, (info) => resolve(info)),
  );
  await server.raw?.ready();
  onTestFinished(async () => {
    await server.stop();
  });
  return dbscApp(`http://127.0.0.1:${port}`, reference);
}

describe("DBSC on Elysia (Node.js)", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(start));
});
