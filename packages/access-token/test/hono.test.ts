import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { listen } from "@tessera/test-kit";
import { Hono } from "hono";
import { jwksEndpoint, requireAccessToken, tokenEndpoint } from "../src/hono.js";
import { describeHttpContract } from "./http-contract.js";

describeHttpContract(
  "Hono on @hono/node-server",
  async ({ sessions, tokens, verifier, endpoint }) => {
    const app = new Hono<{ Bindings: { incoming: { socket: { remoteAddress?: string } } } }>();
    app.post("/login", async (c) => {
      const { session, token } = await sessions.create({
        userId: "alice",
        data: { role: "member" },
        client: { ip: c.env.incoming.socket.remoteAddress, userAgent: c.req.header("user-agent") },
      });
      c.header("Set-Cookie", sessions.cookie.serialize(token, session.expiresAt));
      return c.json({ token });
    });
    app.post("/logout", async (c) => {
      const found = sessions.tokenFrom({ cookie: c.req.header("cookie") });
      const id = found?.token.split(".")[0];
      if (id) await sessions.revoke(id);
      return c.body(null, 204);
    });
    app.all("/auth/token", tokenEndpoint({ sessions, tokens, ...endpoint }));
    app.get("/.well-known/jwks.json", jwksEndpoint(tokens));
    app.get("/api/me", requireAccessToken(verifier, { realm: "orders" }), (c) => {
      const claims = c.var.accessToken;
      return c.json({ sub: claims.sub, sid: claims.sid, role: claims["role"] });
    });
    app.post(
      "/api/pay",
      requireAccessToken(verifier, { checkRevocation: true, realm: "orders" }),
      (c) => c.json({ paid: true, by: c.var.accessToken.sub }),
    );
    return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
  },
);
