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
import { tesseraLogin } from "../tessera-kit.js";

export default defineContender(async (context) => {
  const client = new Redis(context.redisUrl);
  const store = new RedisStore({ client, prefix: `${context.redisPrefix}tessera:` });
  const sessions = createSessions({
    store,
    ...(context.options.rotateEveryRequest ? { rotation: { interval: 0, grace: 30 } } : {}),
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
