/**
 * How a conformance suite is defined and registered: a named vitest `describe` with a store of
 * its own per test, which a store package runs alone or as part of `runStoreConformance`, and
 * may skip with a written reason.
 */
import {
  createSessions,
  type SessionEvent,
  type Sessions,
  type SessionsOptions,
} from "@tessera/core";
import type { SessionStore } from "@tessera/core/store";
import { afterEach, beforeEach, describe } from "vitest";

/** Names of the suites, for `options.skip`. */
export type ConformanceSuite =
  | "records"
  | "compare-and-swap"
  | "per-user index"
  | "expiry"
  | "lifecycle"
  | "concurrency"
  | "faults"
  | "policy fields"
  | "epochs"
  | "session limit";

/** Builds a store for one test; may be async. */
export type StoreFactory = () => SessionStore | Promise<SessionStore>;

/** Options of `runStoreConformance` and of each suite run alone. */
export interface ConformanceOptions {
  /**
   * Reads what the backend holds for a session id, bypassing the store's own read path (e.g. a
   * raw `GET` or `SELECT`). Used to prove that writes really land and that no secret is stored.
   * Return `null` when nothing is stored.
   */
  rawRead?: (id: string) => Promise<unknown>;
  /** Called after each test with the store it used (close clients here). */
  teardown?: (store: SessionStore) => void | Promise<void>;
  /** Suites this store cannot run, each with the written reason shown in the report. */
  skip?: Partial<Record<ConformanceSuite, string>>;
  /**
   * Milliseconds after which a store call counts as hung in the fault tests.
   * @defaultValue `200`
   */
  hangTimeout?: number;
}

/** A session manager on the store under test, with a clock the test moves and its events. */
export interface SessionsOnStore {
  sessions: Sessions;
  clock: { now: number };
  events: SessionEvent[];
}

/** What a suite's tests work with. */
export interface SuiteContext {
  /** The store of the running test (a new one per test, from the factory). */
  readonly store: SessionStore;
  readonly options: ConformanceOptions;
  /**
   * `createSessions` on the test's store: 30 min idle, 24 h absolute, rotation every 5 min with
   * 30 s grace, soft binding, and a clock starting now.
   */
  sessionsOn(overrides?: Partial<SessionsOptions>): SessionsOnStore;
}

/**
 * One named suite, runnable on its own: registers `describe("<name>: <suite>")` with a store
 * per test from `makeStore`.
 */
export type StoreSuite = (
  name: string,
  makeStore: StoreFactory,
  options?: ConformanceOptions,
) => void;

/** Defines the suite `suiteName`, whose tests `body` registers. */
export function defineSuite(
  suiteName: ConformanceSuite,
  body: (t: SuiteContext) => void,
): StoreSuite {
  return (name, makeStore, options = {}) => {
    let current: SessionStore | undefined;
    const context: SuiteContext = {
      get store() {
        if (!current) throw new Error("the store under test exists only inside a test");
        return current;
      },
      options,
      sessionsOn(overrides = {}) {
        const clock = { now: Date.now() };
        const events: SessionEvent[] = [];
        const sessions = createSessions({
          store: context.store,
          idleTimeout: 30 * 60,
          absoluteTimeout: 24 * 60 * 60,
          rotation: { interval: 5 * 60, grace: 30 },
          binding: { ip: "soft", userAgent: "soft" },
          onEvent: (event) => {
            events.push(event);
          },
          now: () => clock.now,
          ...overrides,
        });
        return { sessions, clock, events };
      },
    };
    const tests = () => {
      beforeEach(async () => {
        current = await makeStore();
      });
      afterEach(async () => {
        if (current) await options.teardown?.(current);
        current = undefined;
      });
      body(context);
    };
    const title = `${name}: ${suiteName}`;
    const reason = options.skip?.[suiteName];
    if (reason) describe.skip(`${title} (skipped by the store: ${reason})`, tests);
    else describe(title, tests);
  };
}

/** Resolves after `ms` milliseconds (for tests that wait on real expiry). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
