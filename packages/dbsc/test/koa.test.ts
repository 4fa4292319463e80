/** DBSC on Koa 3 and Koa 2: the shared flows and attacks over real HTTP, `dbsc` as the one option. */
import { createServer } from "node:http";
import Router from "@koa/router";
import { requireSession, type TesseraState, tessera } from "@tessera/koa";
import { dbscApp, dbscScenarios, listenForTest } from "@tessera/test-kit";
import Koa3, { type Context } from "koa";
import Koa2 from "koa2";
import { describe, it } from "vitest";
import { dbscReference } from "./reference.js";

/** The request's JSON body (Koa parses none itself). */
async function json(ctx: Context): Promise<{ user: string }> {
  let text = "";
  for await (const chunk of ctx.req) text += chunk;
  return JSON.parse(text) as { user: string };
}

async function start(Koa: typeof Koa3) {
  const { reference, sessions, dbsc } = dbscReference();
  const app = new Koa();
  app.use(tessera(sessions, { dbsc }));
  const router = new Router<TesseraState>();
  router.post("/login", async (ctx) => {
    const { user } = await json(ctx);
    await ctx.state.tessera.login(user);
    ctx.body = { user };
  });
  router.get("/me", requireSession(), (ctx) => {
    const session = ctx.state.session!;
    ctx.body = { user: session.userId, id: session.id, deviceBound: session.deviceBound };
  });
  router.get("/devices", requireSession(), async (ctx) => {
    const list = await sessions.list(ctx.state.session!.userId, { current: ctx.state.session!.id });
    ctx.body = {
      devices: list.map((d) => ({ id: d.id, deviceBound: d.deviceBound, current: d.current })),
    };
  });
  router.post("/logout", async (ctx) => {
    ctx.body = { ended: await ctx.state.tessera.logout() };
  });
  app.use(router.routes());
  return dbscApp(await listenForTest(createServer(app.callback())), reference);
}

describe.each([
  ["Koa 3", Koa3],
  ["Koa 2", Koa2 as unknown as typeof Koa3],
])("DBSC on %s", (_name, Koa) => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(() => start(Koa)));
});
