export type { NodeRedisClient, RedisClient } from "./client.js";
export { RedisStore, type RedisStoreOptions } from "./store.js";
