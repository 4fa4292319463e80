/**
 * The reference app's state, on `globalThis`: Next.js compiles `proxy.ts` and the route handlers
 * into separate module graphs that share only the process. The tests reconfigure it over HTTP
 * (app/test-only), which builds new sessions, a new store and a new clock, like a fresh app.
 */
import { createSessions, MemoryStore, type Sessions } from "@tessera/core";
import { type TesseraNextOptions, tesseraProxy } from "@tessera/next";
import {
  countingStore,
  type StoreCalls,
  type StoreMode,
  switchableStore,
} from "@tessera/store-test/doubles";
import { REFERENCE_IMPERSONATION, REFERENCE_POLICIES } from "@tessera/test-kit/policies";
import { NextResponse } from "next/server";

/** The JSON a test sends to configure the app (the shared `ReferenceConfig`). */
export interface ReferenceConfig {
  options?: TesseraNextOptions;
  sessions?: { cookie?: Record<string, unknown>; binding?: Record<string, string> };
}

interface Reference {
  sessions: Sessions;
  options: TesseraNextOptions;
  proxy: ReturnType<typeof tesseraProxy>;
  offsetMs: number;
  calls: StoreCalls;
  setStore: (mode: StoreMode) => void;
}

const holder = globalThis as { tesseraReference?: Reference };

/** Whether the test endpoints answer (never in a deployment: this app is a test fixture). */
export const testHooksEnabled = process.env.TESSERA_REFERENCE_TEST_HOOKS === "1";

/** Builds a fresh app: new store, clock, sessions and proxy. */
export function configure(config: ReferenceConfig = {}): void {
  const reference = { offsetMs: 0 } as Reference;
  const now = () => Date.now() + reference.offsetMs;
  const lever = switchableStore(new MemoryStore({ now }));
  const counted = countingStore(lever.store);
  reference.calls = counted.calls;
  reference.setStore = lever.set;
  reference.options = config.options ?? {};
  reference.sessions = createSessions({
    store: counted.store,
    rotation: { interval: 60, grace: 10 },
    freshFor: 600,
    cookie: { secure: false, ...config.sessions?.cookie },
    // The policy classes and impersonation rule of the shared policy scenarios.
    policies: REFERENCE_POLICIES,
    impersonation: REFERENCE_IMPERSONATION,
    ...(config.sessions?.binding ? { binding: config.sessions.binding } : {}),
    now,
  });
  reference.proxy = tesseraProxy(reference.sessions, {
    ...reference.options,
    // The app's own middleware before Tessera's: a cookie of its own on every answer.
    handle: (_request, { requestHeaders }) => {
      const response = NextResponse.next({ request: { headers: requestHeaders } });
      response.cookies.set("early", "1", { path: "/" });
      return response;
    },
  });
  holder.tesseraReference = reference;
}

/** The current reference app (configured with defaults on first use). */
export function current(): Reference {
  if (!holder.tesseraReference) configure();
  return holder.tesseraReference!;
}
