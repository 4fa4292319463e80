/** The test-only Redis store is itself held to the store contract before the suite relies on it. */
import { runStoreConformance } from "@tessera/store-test";
import { afterAll, describe, it } from "vitest";
import { redisTestStore } from "./redis-store.js";
import { connectRedis, dropPrefix } from "./support.js";

const redis = await connectRedis();
const prefix = `tessera-express-conformance:${Date.now().toString(36)}-${process.pid}:`;

afterAll(async () => {
  if (!redis) return;
  await dropPrefix(redis, prefix);
  await redis.quit();
});

if (redis) {
  runStoreConformance("test-only Redis store", () => redisTestStore(redis, prefix), {
    rawRead: async (id) => redis.get(`${prefix}s:${id}`),
  });
} else {
  describe.skip("test-only Redis store (Redis unreachable)", () => {
    it("needs Redis", () => {});
  });
}
