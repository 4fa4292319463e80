/**
 * express-session with connect-redis (node-redis client), configured as its README suggests:
 * resave and saveUninitialized off, secure cookie. Each request is a GET plus the store's
 * touch (an EXPIRE), as with the defaults.
 */
import { RedisStore } from "connect-redis";
import session from "express-session";
import { createClient } from "redis";
import { defineContender } from "../contender.js";
import { authApp, loginThroughHttp } from "../express-kit.js";

declare module "express-session" {
  interface SessionData {
    userId: string;
  }
}

export default defineContender(async (context) => {
  const redis = createClient({ url: context.redisUrl });
  await redis.connect();
  const prefix = `${context.redisPrefix}sess:`;
  const app = authApp(
    // `?.` and `!`: @tessera/express's own `req.session` (Session | null) is merged into the
    // same Request type in this package; at run time this server only has express-session's.
    (req) => req.session?.userId ?? null,
    (app) => {
      app.use(
        session({
          store: new RedisStore({ client: redis, prefix }),
          secret: "bench-only secret, not used anywhere else",
          resave: false,
          saveUninitialized: false,
          proxy: true, // behind TLS termination; the login request says so with X-Forwarded-Proto
          cookie: { secure: true, httpOnly: true, sameSite: "lax", maxAge: 7 * 24 * 3600 * 1000 },
        }),
      );
      app.post("/login", (req, res) => {
        req.session!.userId = context.userId;
        res.status(204).end();
      });
    },
  );
  return {
    app,
    async prepare(selfUrl) {
      const setCookie = await loginThroughHttp(`${selfUrl}/login`, {
        "x-forwarded-proto": "https",
      });
      // The cookie value is `s:<sid>.<signature>`, URL-encoded.
      const value = decodeURIComponent(setCookie.slice(setCookie.indexOf("=") + 1).split(";")[0]!);
      const sid = value.slice(2, value.lastIndexOf("."));
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
