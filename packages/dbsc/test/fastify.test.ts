/** DBSC on Fastify: the shared flows and attacks over real HTTP, `dbsc` as the one option. */

import { requireSession, tessera } from "@tessera/fastify";
import { dbscApp, dbscScenarios } from "@tessera/test-kit";
import Fastify from "fastify";
import { describe, it, onTestFinished } from "vitest";
import { dbscReference } from "./reference.js";

async function start() {
  const { reference, sessions, dbsc } = dbscReference();
  const app = Fastify();
  await app.register(tessera, { sessions, dbsc });
  app.post<{ Body: { user: string } }>("/login", async (request) => {
    await request.tessera.login(request.body.user);
    return { user: request.body.user };
  });
  app.get("/me", { preHandler: requireSession() }, async (request) => {
    const session = request.session!;
    return { user: session.userId, id: session.id, deviceBound: session.deviceBound };
  });
  app.get("/devices", { preHandler: requireSession() }, async (request) => {
    const list = await sessions.list(request.session!.userId, { current: request.session!.id });
    return {
      devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
    };
  });
  app.post("/logout", async (request) => ({ ended: await request.tessera.logout() }));
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  onTestFinished(() => app.close());
  return dbscApp(url, reference);
}

describe("DBSC on Fastify", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(start));
});
