/**
 * The Redis floor on one framework (`options.framework`): a hand-rolled session that costs
 * exactly one raw ioredis GET per request (random id in a cookie, user id in a Redis string).
 * No hashing, no rotation, no expiry logic.
 */
import Redis from "ioredis";
import { defineContender } from "../contender.js";
import { cookieApp, frameworkOf } from "../frameworks.js";
import { newRawSessionId, rawSessionCookie, rawSessionIdOf } from "../raw-session.js";

export default defineContender(async (context) => {
  const redis = new Redis(context.redisUrl);
  const framework = frameworkOf(context.options);
  const key = (id: string) => `${context.redisPrefix}raw-${framework}:${id}`;
  return {
    app: await cookieApp(framework, async (cookie) => {
      const id = rawSessionIdOf(cookie);
      return id ? await redis.get(key(id)) : null;
    }),
    async prepare() {
      const id = newRawSessionId();
      await redis.set(key(id), context.userId, "EX", 3600);
      return {
        setCookie: rawSessionCookie(id),
        userId: context.userId,
        storedBytes: Number(await redis.memory("USAGE", key(id))),
        storedHow: "Redis MEMORY USAGE",
      };
    },
    close: async () => void redis.disconnect(),
  };
});
