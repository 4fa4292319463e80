/**
 * `@fastify/session` (with `@fastify/cookie`) on a Redis store: connect-redis (node-redis), which
 * `@fastify/session` accepts as it accepts any express-session store. `rolling` and
 * `saveUninitialized` off, Secure cookie: each request unsigns the cookie (HMAC-SHA-256) and
 * reads the session with one GET; nothing is written back. Fastify trusts the proxy's
 * `X-Forwarded-Proto`, as behind TLS termination; the login request sends it.
 */
import fastifyCookie from "@fastify/cookie";
import fastifySession, { type FastifySessionObject } from "@fastify/session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import { defineContender } from "../contender.js";
import { loginThroughHttp } from "../express-kit.js";
import { fastifyListener } from "../frameworks.js";

declare module "fastify" {
  interface Session {
    userId?: string;
  }
}

/**
 * `@fastify/session`'s `request.session`. This package also loads `@tessera/fastify`, whose own
 * `request.session` type wins the declaration merge; at run time this server has only this one.
 */
const sessionOf = (request: { session: unknown }) => request.session as FastifySessionObject;

export default defineContender(async (context) => {
  const redis = createClient({ url: context.redisUrl });
  await redis.connect();
  const prefix = `${context.redisPrefix}fastify-sess:`;
  const app = await fastifyListener(
    async (app) => {
      await app.register(fastifyCookie);
      await app.register(fastifySession, {
        secret: "bench-only secret of at least thirty-two characters",
        store: new RedisStore({ client: redis, prefix }),
        rolling: false,
        saveUninitialized: false,
        cookie: { secure: true, httpOnly: true, sameSite: "lax", maxAge: 7 * 24 * 3600 * 1000 },
      });
      app.post("/login", async (request, reply) => {
        sessionOf(request).set("userId", context.userId);
        return reply.code(204).send();
      });
      app.get("/me", async (request, reply) => {
        const userId = sessionOf(request).get("userId");
        if (!userId) return reply.code(401).send({ error: "unauthenticated" });
        return { userId };
      });
    },
    { trustProxy: true },
  );
  return {
    app,
    async prepare(selfUrl) {
      const setCookie = await loginThroughHttp(`${selfUrl}/login`, {
        "x-forwarded-proto": "https",
      });
      // The cookie value is `<sid>.<signature>`, URL-encoded.
      const value = decodeURIComponent(setCookie.slice(setCookie.indexOf("=") + 1).split(";")[0]!);
      const sid = value.slice(0, value.lastIndexOf("."));
      return {
        setCookie,
        userId: context.userId,
        storedBytes: (await redis.memoryUsage(`${prefix}${sid}`)) ?? null,
        storedHow: "Redis MEMORY USAGE",
      };
    },
    close: async () => void (await redis.quit()),
  };
});
