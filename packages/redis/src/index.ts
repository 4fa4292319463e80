export type { NodeRedisClient, RedisClient } from "./client.js";
export { RedisLimitCounter, type RedisLimitCounterOptions } from "./counter.js";
export { RedisStore, type RedisStoreOptions } from "./store.js";
