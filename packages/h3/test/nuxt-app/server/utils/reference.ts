/**
 * The reference app's state: the tests reconfigure it over HTTP (routes/test-only), which builds
 * new sessions, a new store, a new clock and a new middleware, like a fresh app.
 */
import { createSessions, MemoryStore, type Sessions } from "@tessera/core";
import { type TesseraOptions, tessera } from "@tessera/h3";
import {
  countingStore,
  type StoreCalls,
  type StoreMode,
  switchableStore,
} from "@tessera/store-test/doubles";
import type { EventHandler } from "h3";

/** The JSON a test sends to configure the app (the shared `ReferenceConfig`). */
export interface ReferenceConfig {
  options?: TesseraOptions;
  sessions?: { cookie?: Record<string, unknown>; binding?: Record<string, string> };
}

interface Reference {
  sessions: Sessions;
  middleware: EventHandler;
  offsetMs: number;
  calls: StoreCalls;
  setStore: (mode: StoreMode) => void;
}

let reference: Reference | undefined;

/** Whether the test endpoints answer (never in a deployment: this app is a test fixture). */
export const testHooksEnabled = process.env.TESSERA_REFERENCE_TEST_HOOKS === "1";

/** Builds a fresh app: new store, clock, sessions and middleware. */
export function configure(config: ReferenceConfig = {}): void {
  const next = { offsetMs: 0 } as Reference;
  const now = () => Date.now() + next.offsetMs;
  const lever = switchableStore(new MemoryStore({ now }));
  const counted = countingStore(lever.store);
  next.calls = counted.calls;
  next.setStore = lever.set;
  next.sessions = createSessions({
    store: counted.store,
    rotation: { interval: 60, grace: 10 },
    freshFor: 600,
    cookie: { secure: false, ...config.sessions?.cookie },
    ...(config.sessions?.binding ? { binding: config.sessions.binding } : {}),
    now,
  });
  next.middleware = tessera(next.sessions, config.options ?? {});
  reference = next;
}

/** The current reference app (configured with defaults on first use). */
export function current(): Reference {
  if (!reference) configure();
  return reference!;
}
