/**
 * `runStoreConformance`: every suite a Tessera store must pass, in one call. Each suite is also
 * exported on its own (`recordsSuite`, `lifecycleSuite`, ...) for a store that wants to run one
 * at a time.
 */
import type { ConformanceOptions, ConformanceSuite, StoreFactory, StoreSuite } from "./suite.js";
import { compareAndSwapSuite } from "./suites/compare-and-swap.js";
import { concurrencySuite } from "./suites/concurrency.js";
import { epochsSuite } from "./suites/epochs.js";
import { expirySuite } from "./suites/expiry.js";
import { faultsSuite } from "./suites/faults.js";
import { lifecycleSuite } from "./suites/lifecycle.js";
import { policyFieldsSuite } from "./suites/policy-fields.js";
import { recordsSuite } from "./suites/records.js";
import { sessionLimitSuite } from "./suites/session-limit.js";
import { userIndexSuite } from "./suites/user-index.js";

/** Every suite, by the name `options.skip` takes, in the order `runStoreConformance` runs them. */
export const conformanceSuites: Readonly<Record<ConformanceSuite, StoreSuite>> = {
  records: recordsSuite,
  "compare-and-swap": compareAndSwapSuite,
  "per-user index": userIndexSuite,
  expiry: expirySuite,
  lifecycle: lifecycleSuite,
  concurrency: concurrencySuite,
  faults: faultsSuite,
  "policy fields": policyFieldsSuite,
  epochs: epochsSuite,
  "session limit": sessionLimitSuite,
};

/**
 * Registers every conformance suite for one store implementation, each as
 * `describe("<name>: <suite>")`, skipping those `options.skip` names (with the reason in the
 * report).
 *
 * @example
 * ```ts
 * runStoreConformance("RedisStore", () => new RedisStore({ client, prefix }), {
 *   rawRead: (id) => client.get(`${prefix}s:{${id}}`),
 * });
 * ```
 */
export function runStoreConformance(
  name: string,
  makeStore: StoreFactory,
  options: ConformanceOptions = {},
): void {
  for (const suite of Object.values(conformanceSuites)) suite(name, makeStore, options);
}
