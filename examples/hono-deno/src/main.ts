/**
 * Tessera on Deno: a Hono app served by `Deno.serve`. Sessions are kept in memory here; pass any
 * Tessera store to `createSessions` to keep them across restarts and instances.
 */
import { createSessions, MemoryStore } from "@tessera/core";
import { login, logout, logoutEverywhere, requireSession, tessera } from "@tessera/hono";
import { Hono } from "hono";

const sessions = createSessions({
  store: new MemoryStore(),
  rotation: { interval: Number(Deno.env.get("ROTATION_INTERVAL") ?? 300), grace: 30 },
});

const app = new Hono();
// The client address is the connection's peer, read from the runtime by default; behind your own
// proxies, pass { trustedProxies: <how many> } instead.
app.use(tessera(sessions));

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

Deno.serve(
  {
    hostname: Deno.env.get("HOST") ?? "127.0.0.1",
    port: Number(Deno.env.get("PORT") ?? 8000),
    onListen: ({ hostname, port }) => console.log(`Listening on http://${hostname}:${port}`),
  },
  app.fetch,
);
