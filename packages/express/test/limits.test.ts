/**
 * The login throttle of @tessera/core on Express 4 and 5, over real HTTP: the shared check of
 * @tessera/test-kit, and the same 429 bytes as Hono's.
 */
import { createServer } from "node:http";
import { createLoginThrottle, createSessions, MemoryStore } from "@tessera/core";
import { checkLoginThrottle, listenForTest } from "@tessera/test-kit";
import express5 from "express";
import express4 from "express4";
import { describe, expect, it } from "vitest";
import { tessera } from "../src/index.js";

describe.each([
  ["Express 5", express5],
  ["Express 4", express4 as unknown as typeof express5],
])("login throttle on %s", (_name, express) => {
  it("locks an (account, address) pair with 429 and Retry-After, never the owner elsewhere", async () => {
    const sessions = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
    const throttle = createLoginThrottle();
    const app = express();
    app.use(express.json());
    app.use(tessera(sessions, { trustedProxies: 1 }));
    app.post("/login", async (req, res, next) => {
      try {
        const user = String(req.body.user);
        const attempt = { account: user.toLowerCase(), address: req.tessera.client.ip };
        const refused = await throttle.check(attempt);
        if (refused) {
          res.status(refused.status).set(refused.headers).send(refused.body);
          return;
        }
        if (req.body.password !== "right") {
          await throttle.failed(attempt);
          res.status(401).json({ error: "wrong-password" });
          return;
        }
        await throttle.succeeded(attempt);
        await req.tessera.login(user);
        res.json({ user });
      } catch (error) {
        next(error);
      }
    });
    const locked = await checkLoginThrottle(await listenForTest(createServer(app)));
    expect(JSON.stringify(locked.body)).toBe('{"error":"too-many-requests"}');
  });
});
