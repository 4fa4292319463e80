/**
 * `@tessera/store-test`: the conformance suites every Tessera session store must pass (vitest),
 * and the test doubles every Tessera package's tests share. A store package calls
 * `runStoreConformance(name, makeStore)` from one of its vitest files; every test builds its own
 * state (fresh ids and user ids), so stores backed by a shared server need no cleanup.
 */
export { conformanceSuites, runStoreConformance } from "./conformance.js";
export {
  countingStore,
  type Failure,
  failingStore,
  makeRecord,
  type StoreCalls,
  type StoreMode,
  switchableStore,
  uniqueId,
  uniqueUser,
} from "./doubles.js";
export type {
  ConformanceOptions,
  ConformanceSuite,
  StoreFactory,
  StoreSuite,
} from "./suite.js";
export { compareAndSwapSuite } from "./suites/compare-and-swap.js";
export { concurrencySuite } from "./suites/concurrency.js";
export { epochsSuite } from "./suites/epochs.js";
export { expirySuite } from "./suites/expiry.js";
export { faultsSuite } from "./suites/faults.js";
export { lifecycleSuite } from "./suites/lifecycle.js";
export { policyFieldsSuite } from "./suites/policy-fields.js";
export { recordsSuite } from "./suites/records.js";
export { sessionLimitSuite } from "./suites/session-limit.js";
export { userIndexSuite } from "./suites/user-index.js";
