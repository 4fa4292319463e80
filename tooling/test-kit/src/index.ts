/**
 * @tessera/test-kit: what the Tessera packages' own test suites share. Private, never published;
 * consumers import this TypeScript source directly (vitest and tsc both read it).
 */

// The store doubles are @tessera/store-test's, the one set every package's tests use.
export {
  countingStore,
  failingStore,
  makeRecord,
  type StoreCalls,
  type StoreMode,
  switchableStore,
  uniqueUser,
} from "@tessera/store-test/doubles";
export {
  type BuiltApp,
  buildApp,
  freePort,
  hostedDbscApp,
  hostedReferenceApp,
  startBuiltApp,
  writeQuickStartApp,
} from "./built-app.js";
export {
  DBSC_CHALLENGE_TTL,
  DBSC_COOKIE_TTL,
  DBSC_EXCLUDED_PATH,
  DBSC_PATHS,
  DBSC_ROUTES,
  type DbscApp,
  type DbscScenario,
  dbscApp,
  dbscReferenceSessions,
  dbscScenarios,
  type StartDbscApp,
} from "./dbsc.js";
export {
  type BoundSession,
  DbscBrowser,
  makeSessionKey,
  parseChallenges,
  parseRegistration,
  type RefreshExchange,
  type RegistrationEntry,
  type SessionInstructions,
  type SessionKey,
  signProof,
} from "./dbsc-client.js";
export { type Answer, Client, listen, listenForTest, type RequestOptions } from "./http.js";
export { checkLoginThrottle, THROTTLED_LOGIN_ROUTE } from "./limits.js";
export { nextVersion, type RunningNextApp, startNextApp } from "./next.js";
export {
  ADMIN_PREFIX,
  LICENCE_LIMIT,
  REFERENCE_IMPERSONATION,
  REFERENCE_POLICIES,
} from "./policies.js";
export { startReadmeApp } from "./readme.js";
export { connectRedis, dropPrefix, uniquePrefix } from "./redis.js";
export {
  type CommonOptions,
  FRESH_FOR,
  type InProcessSessions,
  inProcessReferenceApp,
  POLICY_ROUTES,
  REFERENCE_ROUTES,
  type ReferenceApp,
  type ReferenceConfig,
  type ReferenceRoute,
  ROTATION_INTERVAL,
  referenceSessions,
  type StartReferenceApp,
} from "./reference.js";
export {
  policyScenarios,
  reviewScenarios,
  type Scenario,
  sessionScenarios,
  storeOutageScenarios,
} from "./scenarios.js";
export { memoryKind, redisKind, type StoreKind, storeKinds } from "./stores.js";
