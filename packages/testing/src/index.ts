/**
 * @tessera/testing: what the Tessera packages' own test suites share. Private, never published;
 * consumers import this TypeScript source directly (vitest and tsc both read it).
 */
export { type Answer, Client, listen, listenForTest, type RequestOptions } from "./http.js";
export { startReadmeApp } from "./readme.js";
export { connectRedis, dropPrefix, uniquePrefix } from "./redis.js";
export {
  type CommonOptions,
  FRESH_FOR,
  type InProcessSessions,
  inProcessReferenceApp,
  REFERENCE_ROUTES,
  ROTATION_INTERVAL,
  type ReferenceApp,
  type ReferenceConfig,
  type ReferenceRoute,
  referenceSessions,
  type StartReferenceApp,
} from "./reference.js";
export { type Scenario, sessionScenarios, storeOutageScenarios } from "./scenarios.js";
export {
  counting,
  downStore,
  memoryKind,
  redisKind,
  type StoreCalls,
  type StoreKind,
  type StoreMode,
  storeKinds,
  switchable,
  uniqueUser,
} from "./stores.js";
