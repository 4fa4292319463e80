/**
 * Tessera on Cloudflare Workers: a Hono app whose sessions live in Durable Objects
 * (@tessera/cloudflare), strongly consistent, so rotation and revoke-all hold on every request.
 */

import { env } from "cloudflare:workers";
import { DurableObjectStore } from "@tessera/cloudflare";
import { createSessions } from "@tessera/core";
import { login, logout, logoutEverywhere, requireSession, tessera } from "@tessera/hono";
import { Hono } from "hono";

// Workers find the Durable Object class among the Worker's exports.
export { SessionDurableObject } from "@tessera/cloudflare";

const sessions = createSessions({
  store: new DurableObjectStore({ namespace: env.SESSIONS }),
  rotation: { interval: Number(env.ROTATION_INTERVAL), grace: 30 },
});

const app = new Hono();
app.use(
  tessera(sessions, {
    // The client address for binding: Cloudflare's edge sets this header on every request.
    getRemoteAddress: (c) => c.req.header("cf-connecting-ip"),
  }),
);

app.post("/login", async (c) => {
  const { user } = await c.req.json<{ user: string }>(); // check the password first
  const { session } = await login(c, user);
  return c.json({ user: session.userId });
});
app.get("/me", requireSession(), (c) => c.json({ user: c.var.session!.userId }));
app.get("/devices", requireSession(), async (c) => {
  const { id, userId } = c.var.session!;
  const devices = await sessions.list(userId, { current: id });
  return c.json(devices.map((d) => ({ id: d.id, current: d.current, ip: d.client.ip ?? null })));
});
app.post("/logout", async (c) => c.json({ ended: await logout(c) }));
app.post("/logout-everywhere", requireSession(), async (c) =>
  c.json({ ended: await logoutEverywhere(c) }),
);

export default app;
