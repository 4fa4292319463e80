import { createServer } from "node:http";
import { createSessions, MemoryStore } from "@tessera/core";
import { tessera } from "@tessera/express";
import { listen } from "@tessera/test-kit";
import express5 from "express";
import express4 from "express4";
import { describe, expect, it } from "vitest";
import { jwksEndpoint, requireAccessToken, tokenEndpoint } from "../src/express.js";
import { createAccessTokens, generateSigningKey } from "../src/index.js";
import { type AppDeps, audience, describeHttpContract, issuer } from "./http-contract.js";

function app(express: typeof express5, { sessions, tokens, verifier, endpoint }: AppDeps) {
  const app = express();
  app.post("/login", async (req, res) => {
    const { session, token } = await sessions.create({
      userId: "alice",
      data: { role: "member" },
      client: { ip: req.ip, userAgent: req.get("user-agent") },
    });
    res.setHeader("Set-Cookie", sessions.cookie.serialize(token, session.expiresAt));
    res.json({ token });
  });
  app.post("/logout", async (req, res) => {
    const found = sessions.tokenFrom({ cookie: req.headers.cookie });
    const id = found?.token.split(".")[0];
    if (id) await sessions.revoke(id);
    res.status(204).end();
  });
  app.all("/auth/token", tokenEndpoint({ sessions, tokens, ...endpoint }));
  app.get("/.well-known/jwks.json", jwksEndpoint(tokens));
  app.get("/api/me", requireAccessToken(verifier, { realm: "orders" }), (req, res) => {
    const claims = req.accessToken!;
    res.json({ sub: claims.sub, sid: claims.sid, role: claims["role"] });
  });
  app.post(
    "/api/pay",
    requireAccessToken(verifier, { checkRevocation: true, realm: "orders" }),
    (req, res) => {
      res.json({ paid: true, by: req.accessToken?.sub });
    },
  );
  return app;
}

describeHttpContract("Express 5", async (deps) => listen(createServer(app(express5, deps))));
describeHttpContract("Express 4", async (deps) => listen(createServer(app(express4, deps))));

describe("Express with @tessera/express mounted: the endpoint uses the gate's state", () => {
  it("refuses a copied cookie of a device-bound session, and trades the real session", async () => {
    const sessions = createSessions({ store: new MemoryStore() });
    const key = await generateSigningKey("EdDSA");
    const tokens = createAccessTokens({ keys: [key], issuer, audience });
    const app = express5();
    app.use(tessera(sessions));
    app.post("/login", async (req, res) => {
      const created = await req.tessera!.login("alice");
      res.json({ token: created.token });
    });
    app.post("/auth/token", tokenEndpoint({ sessions, tokens }));
    const { url, close } = await listen(createServer(app));
    try {
      const login = await fetch(`${url}/login`, {
        method: "POST",
        headers: { "sec-fetch-site": "same-origin" },
      });
      const { token } = (await login.json()) as { token: string };
      const cookie = `${sessions.cookie.name}=${token}`;
      const headers = { cookie, "sec-fetch-site": "same-origin" };
      expect((await fetch(`${url}/auth/token`, { method: "POST", headers })).status).toBe(200);

      const id = token.split(".")[0]!;
      const challenge = await sessions.device.offer(id, 60);
      const jwk = { kty: "EC", crv: "P-256", x: "x", y: "y" };
      const grant = await sessions.device.register(
        id,
        { challenge: challenge!, key: { alg: "ES256", jwk } } as never,
        { challengeTtl: 60, cookieTtl: 600 },
      );
      expect(grant.ok).toBe(true);
      const stolen = await fetch(`${url}/auth/token`, { method: "POST", headers });
      expect(stolen.status).toBe(401);
      expect(await stolen.json()).toEqual({ error: "unauthenticated", reason: "device-unbound" });
    } finally {
      await close();
    }
  });
});
