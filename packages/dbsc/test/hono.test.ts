/** DBSC on Hono: the shared flows and attacks over real HTTP, `dbsc` as the one option. */
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { login, logout, requireSession, type TesseraEnv, tessera } from "@tessera/hono";
import { dbscApp, dbscScenarios, listenForTest } from "@tessera/test-kit";
import { Hono } from "hono";
import { describe, it } from "vitest";
import { dbscReference } from "./reference.js";

async function start() {
  const { reference, sessions, dbsc } = dbscReference();
  const app = new Hono<TesseraEnv>();
  app.use(tessera(sessions, { dbsc }));
  app.post("/login", async (c) => {
    const { user } = await c.req.json();
    await login(c, user);
    return c.json({ user });
  });
  app.get("/me", requireSession(), (c) => {
    const session = c.var.session!;
    return c.json({ user: session.userId, id: session.id, deviceBound: session.deviceBound });
  });
  app.get("/devices", requireSession(), async (c) => {
    const list = await sessions.list(c.var.session!.userId, { current: c.var.session!.id });
    return c.json({
      devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
    });
  });
  app.post("/logout", async (c) => c.json({ ended: await logout(c) }));
  return dbscApp(await listenForTest(createServer(getRequestListener(app.fetch))), reference);
}

describe("DBSC on Hono", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(start));
});
