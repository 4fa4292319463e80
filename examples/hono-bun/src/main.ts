/**
 * Tessera on Bun: a Hono app served by `Bun.serve`. Sessions are kept in memory here; pass any
 * Tessera store to `createSessions` to keep them across restarts and instances.
 */
import { createSessions, MemoryStore } from "@tessera/core";
import { login, logout, logoutEverywhere, requireSession, tessera } from "@tessera/hono";
import { Hono } from "hono";
import { getConnInfo } from "hono/bun";

const sessions = createSessions({
  store: new MemoryStore(),
  rotation: { interval: Number(Bun.env.ROTATION_INTERVAL ?? 300), grace: 30 },
});

const app = new Hono();
app.use(
  tessera(sessions, {
    // The client address for binding: the connection's peer (behind a proxy, read its header).
    getClientIp: (c) => getConnInfo(c).remote.address,
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

const server = Bun.serve({
  hostname: Bun.env.HOST ?? "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  fetch: app.fetch,
});
console.log(`Listening on ${server.url}`);
