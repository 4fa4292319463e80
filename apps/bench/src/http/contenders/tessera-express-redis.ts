/**
 * Tessera as a user deploys it on Redis: `@tessera/express` middleware over `@tessera/redis`
 * (one GET per request when nothing is due). `options.rotateEveryRequest` sets
 * `rotation.interval = 0`: every request rotates the secret (a GET, an index write and a CAS
 * script) and the client follows the new cookie.
 */
import { createSessions } from "@tessera/core";
import { tessera } from "@tessera/express";
import { RedisStore } from "@tessera/redis";
import { Redis } from "ioredis";
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";
import { HOT_PATH_ROTATION, tesseraLogin } from "../tessera-kit.js";

export default defineContender(async (context) => {
  const client = new Redis(context.redisUrl);
  const store = new RedisStore({ client, prefix: `${context.redisPrefix}tessera:` });
  const sessions = createSessions({
    store,
    // Every request rotates, or (the hot path) none inside the run: with the default 5-minute
    // interval a session would rotate mid-run, and a load generator that keeps replaying the
    // old cookie after the grace window is exactly what reuse detection revokes.
    rotation: context.options.rotateEveryRequest ? { interval: 0, grace: 30 } : HOT_PATH_ROTATION,
  });
  return {
    app: authApp(
      (req) => req.session?.userId ?? null,
      (app) => app.use(tessera(sessions)),
    ),
    prepare: () =>
      tesseraLogin(sessions, context, async (id) => ({
        bytes: Number(await client.memory("USAGE", store.sessionKey(id), "SAMPLES", 0)),
        how: "Redis MEMORY USAGE",
      })),
    close: async () => {
      client.disconnect();
    },
  };
});
