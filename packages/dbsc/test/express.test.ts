/** DBSC on Express: the shared flows and attacks over real HTTP, `dbsc` as the one option. */
import { createServer } from "node:http";
import { requireSession, tessera } from "@tessera/express";
import { dbscApp, dbscScenarios, listenForTest } from "@tessera/test-kit";
import express from "express";
import { describe, it } from "vitest";
import { dbscReference } from "./reference.js";

async function start() {
  const { reference, sessions, dbsc } = dbscReference();
  const app = express();
  app.use(express.json());
  app.use(tessera(sessions, { dbsc }));
  app.post("/login", async (req, res) => {
    await req.tessera.login(req.body.user);
    res.json({ user: req.body.user });
  });
  app.get("/me", requireSession(), (req, res) => {
    const session = req.session!;
    res.json({ user: session.userId, id: session.id, deviceBound: session.deviceBound });
  });
  app.get("/devices", requireSession(), async (req, res) => {
    const list = await sessions.list(req.session!.userId, { current: req.session!.id });
    res.json({
      devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
    });
  });
  app.post("/logout", async (req, res) => {
    res.json({ ended: await req.tessera.logout() });
  });
  return dbscApp(await listenForTest(createServer(app)), reference);
}

describe("DBSC on Express", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(start));
});
