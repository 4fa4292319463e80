/**
 * The login throttle of @tessera/core on Hono, over real HTTP: the shared check of
 * @tessera/test-kit, and the same 429 bytes as Express's.
 */
import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { createLoginThrottle, createSessions, MemoryStore } from "@tessera/core";
import { checkLoginThrottle, listenForTest } from "@tessera/test-kit";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { login, type TesseraEnv, tessera } from "../src/index.js";

describe("login throttle on Hono", () => {
  it("locks an (account, address) pair with 429 and Retry-After, never the owner elsewhere", async () => {
    const sessions = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
    const throttle = createLoginThrottle();
    const app = new Hono<TesseraEnv>();
    app.use(tessera(sessions, { trustedProxies: 1 }));
    app.post("/login", async (c) => {
      const body = await c.req.json();
      const user = String(body.user);
      const attempt = { account: user.toLowerCase(), address: c.var.tessera.client.ip };
      const refused = await throttle.check(attempt);
      if (refused) return new Response(refused.body, refused);
      if (body.password !== "right") {
        await throttle.failed(attempt);
        return c.json({ error: "wrong-password" }, 401);
      }
      await throttle.succeeded(attempt);
      await login(c, user);
      return c.json({ user });
    });
    const url = await listenForTest(createServer(getRequestListener(app.fetch)));
    const locked = await checkLoginThrottle(url);
    expect(JSON.stringify(locked.body)).toBe('{"error":"too-many-requests"}');
  });
});
