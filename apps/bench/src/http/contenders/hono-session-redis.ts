/**
 * `@hono/session` (Hono's session middleware) with Redis as its session storage: the cookie is a
 * JWE (jose, `dir` + A256GCM) carrying the session id; each request decrypts it and reads the
 * data with one ioredis GET through `useSessionStorage`. A session that is only read is not
 * written back. Login goes through the middleware itself (`session.update`), over HTTP.
 */
import { randomBytes } from "node:crypto";
import { getRequestListener } from "@hono/node-server";
import { type SessionEnv, useSession, useSessionStorage } from "@hono/session";
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import Redis from "ioredis";
import { defineContender } from "../contender.js";
import { loginThroughHttp } from "../express-kit.js";

type Data = { userId: string };

export default defineContender(async (context) => {
  const redis = new Redis(context.redisUrl);
  const key = (sid: string) => `${context.redisPrefix}hono-session:${sid}`;
  const ttl = 7 * 24 * 3600;
  // The middleware does not await its storage's `set`: login waits for it here.
  const pending = new Set<Promise<unknown>>();
  let lastSid: string | null = null;
  const app = new Hono<SessionEnv<Data>>();
  app.use(
    useSessionStorage<Data, SessionEnv<Data>>({
      async get(sid) {
        const value = await redis.get(key(sid));
        return value === null ? null : (JSON.parse(value) as Data);
      },
      set(sid, data) {
        lastSid = sid;
        const write = redis.set(key(sid), JSON.stringify(data), "EX", ttl);
        pending.add(write);
        void write.finally(() => pending.delete(write));
      },
      delete(sid) {
        void redis.del(key(sid));
      },
    }),
    useSession<Data>({
      secret: randomBytes(32).toString("hex"),
      duration: { absolute: ttl },
      // Production cookie attributes: the middleware's own (HttpOnly, SameSite=Lax) plus Secure.
      setCookie: (c, name, value, options) =>
        setCookie(c, name, value, { ...options, secure: true }),
    }),
  );
  app.post("/login", async (c) => {
    await c.var.session.update({ userId: context.userId });
    return c.body(null, 204);
  });
  app.get("/me", async (c) => {
    const data = await c.var.session.get();
    return data?.userId
      ? c.json({ userId: data.userId })
      : c.json({ error: "unauthenticated" }, 401);
  });
  return {
    app: getRequestListener(app.fetch),
    async prepare(selfUrl) {
      const setCookieHeader = await loginThroughHttp(`${selfUrl}/login`);
      await Promise.all(pending);
      return {
        setCookie: setCookieHeader,
        userId: context.userId,
        storedBytes: lastSid ? Number(await redis.memory("USAGE", key(lastSid))) : null,
        storedHow: "Redis MEMORY USAGE",
      };
    },
    close: async () => void redis.disconnect(),
  };
});
