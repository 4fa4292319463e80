import { createServer } from "node:http";
import { listen } from "@tessera/testing";
import express5 from "express";
import express4 from "express4";
import { jwksEndpoint, requireAccessToken, tokenEndpoint } from "../src/express.js";
import { type AppDeps, describeHttpContract } from "./http-contract.js";

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
