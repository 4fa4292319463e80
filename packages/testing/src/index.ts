/**
 * @tessera/testing: what the Tessera packages' own test suites share. Private, never published;
 * consumers import this TypeScript source directly (vitest and tsc both read it).
 */
export { type Answer, Client, listen, listenForTest, type RequestOptions } from "./http.js";
export { startReadmeApp } from "./readme.js";
export { connectRedis, dropPrefix, uniquePrefix } from "./redis.js";
export {
  type AppConfig,
  type CommonOptions,
  FRESH_FOR,
  type ReferenceSessions,
  ROTATION_INTERVAL,
  type RunningApp,
  referenceSessions,
  type Scenario,
  type StartApp,
  sessionScenarios,
  storeOutageScenarios,
} from "./scenarios.js";
export {
  counting,
  downStore,
  memoryKind,
  redisKind,
  type StoreCalls,
  type StoreKind,
  storeKinds,
  uniqueUser,
} from "./stores.js";
