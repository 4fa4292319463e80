/**
 * Hono's own JWT middleware (`hono/jwt`): an HS256 JWT in an HttpOnly cookie, verified on every
 * request by the middleware (algorithm pinned, issuer and audience checked, `exp` enforced).
 * Nothing is stored, so nothing can be revoked before `exp`. The JWT counterpart of `jose-hs256`
 * on Hono.
 */
import { getRequestListener } from "@hono/node-server";
import { serialize } from "cookie";
import { Hono } from "hono";
import { jwt, sign } from "hono/jwt";
import { defineContender } from "../contender.js";

const issuer = "https://bench.tessera.test";
const audience = "bench";

export default defineContender(async (context) => {
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const app = new Hono();
  app.use(
    "/me",
    jwt({ secret, alg: "HS256", cookie: "token", verification: { iss: issuer, aud: audience } }),
  );
  app.get("/me", (c) => {
    const payload = c.get("jwtPayload") as { sub?: string } | undefined;
    return payload?.sub
      ? c.json({ userId: payload.sub })
      : c.json({ error: "unauthenticated" }, 401);
  });
  return {
    app: getRequestListener(app.fetch),
    async prepare() {
      const now = Math.floor(Date.now() / 1000);
      // Minted once for the whole run, which outlasts a usual 15-minute token: 2 hours, so no
      // round answers 401 for an expired token (the check of `exp` still runs every request).
      const token = await sign(
        { sub: context.userId, iss: issuer, aud: audience, iat: now, exp: now + 2 * 60 * 60 },
        secret,
        "HS256",
      );
      const setCookie = serialize("token", token, {
        httpOnly: true,
        secure: true,
        sameSite: "lax",
        path: "/",
        maxAge: 15 * 60,
      });
      return { setCookie, userId: context.userId, storedBytes: null };
    },
  };
});
