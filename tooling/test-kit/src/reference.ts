/**
 * The reference app: the contract every framework integration's test app fulfils, so that the
 * shared scenarios (scenarios.ts) can drive Express, Hono, Fastify and Next.js alike over real
 * HTTP. A framework's test file builds the routes of `REFERENCE_ROUTES` its own way and hands
 * the scenarios a `StartReferenceApp`.
 */
import { type CookieOptions, createSessions, type Sessions } from "@tessera/core";
import {
  countingStore,
  type StoreCalls,
  type StoreMode,
  switchableStore,
} from "@tessera/store-test/doubles";
import { Client } from "./http.js";
import { REFERENCE_IMPERSONATION, REFERENCE_POLICIES } from "./policies.js";
import type { StoreKind } from "./stores.js";

/** Seconds between rotations in the reference app (grace 10 s). */
export const ROTATION_INTERVAL = 60;
/** Seconds a login stays fresh in the reference app. */
export const FRESH_FOR = 600;

/** The options every integration's middleware has, under the same names. */
export interface CommonOptions {
  csrf?: boolean;
  allowedOrigins?: string[];
  trustedProxies?: number;
}

/** How one scenario configures its app. Plain JSON: a Next.js app receives it over HTTP. */
export interface ReferenceConfig {
  /** The integration's middleware options. */
  options?: CommonOptions;
  /** Overrides of the reference sessions' options. */
  sessions?: {
    cookie?: CookieOptions;
    binding?: { ip?: "off" | "soft" | "strict"; userAgent?: "off" | "soft" | "strict" };
  };
}

/** A running reference app, and the levers a scenario pulls on it. */
export interface ReferenceApp {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** A browser-like client of the app with an empty cookie jar. */
  client(): Client;
  /** Moves the sessions' clock forward. */
  advanceClock(seconds: number): Promise<void>;
  /** How many `get` calls the app's store has answered so far. */
  storeReads(): Promise<number>;
  /** Takes the store down, makes every write lose its race, or brings it back. */
  setStore(mode: StoreMode): Promise<void>;
}

/** Starts a reference app; the scenarios call it once or more per test. */
export type StartReferenceApp = (config?: ReferenceConfig) => Promise<ReferenceApp>;

/** One route of the reference app: what it does and what it answers. */
export interface ReferenceRoute {
  method: "GET" | "POST";
  path: string;
  /** The guard in front of the handler, if any. */
  guard: "requireSession" | "requireFresh" | null;
  /** What the handler does and answers (JSON). */
  does: string;
}

/**
 * Every route of the reference app. Before Tessera's middleware, a middleware of the app appends
 * `Set-Cookie: early=1; Path=/` to every answer. The app's own error handler answers an error
 * that is not Tessera's with 500 `{ appError: error.name }`; Tessera's store errors in handlers
 * are answered 503 by the integration.
 */
export const REFERENCE_ROUTES: readonly ReferenceRoute[] = [
  { method: "GET", path: "/public", guard: null, does: "{ user: userId | null }" },
  { method: "GET", path: "/theme", guard: null, does: "sets cookie theme=dark; as /public" },
  {
    method: "GET",
    path: "/cached",
    guard: null,
    does: "sets Cache-Control: public, max-age=60; as /public",
  },
  {
    method: "POST",
    path: "/login",
    guard: null,
    does: "body { user, data? }: login; { user, token }",
  },
  {
    method: "GET",
    path: "/me",
    guard: "requireSession",
    does: "{ user, id, data, fresh, ip: session.client.ip ?? null, source }",
  },
  { method: "POST", path: "/transfer", guard: "requireFresh", does: "{ transferred: true }" },
  { method: "POST", path: "/rotate", guard: "requireSession", does: "rotate(); { rotated: bool }" },
  {
    method: "POST",
    path: "/step-up",
    guard: "requireSession",
    does: "reauthenticate(); { fresh: session.fresh }",
  },
  { method: "POST", path: "/logout", guard: null, does: "{ ended: logout() }" },
  {
    method: "POST",
    path: "/logout-everywhere",
    guard: "requireSession",
    does: "body { keepCurrent? }: { ended: logoutEverywhere(body) }",
  },
  { method: "GET", path: "/boom", guard: null, does: "throws new Error()" },
];

/**
 * The routes of the session-policy scenarios (`policyScenarios`), on top of `REFERENCE_ROUTES`:
 * an integration opts in by serving these and running those scenarios. Its `/login` then passes
 * `policy` through (`login({ userId: body.user, data: body.data, policy: body.policy })`) and its
 * `/me` answers `impersonatedBy` and `policy` too.
 */
export const POLICY_ROUTES: readonly ReferenceRoute[] = [
  {
    method: "POST",
    path: "/login",
    guard: null,
    does: "body { user, data?, policy? }: login({ userId, data, policy }); { user, token }",
  },
  {
    method: "GET",
    path: "/me",
    guard: "requireSession",
    does: "as REFERENCE_ROUTES' /me, plus { impersonatedBy, policy }",
  },
  {
    method: "POST",
    path: "/guest",
    guard: null,
    does: "body { data? }: startGuest(data); { guest: guest.id | null }",
  },
  { method: "GET", path: "/guest", guard: null, does: "{ guest: state.guest?.data ?? null }" },
  {
    method: "POST",
    path: "/impersonate",
    guard: "requireSession",
    does: "body { user, reason }: impersonate(user, { reason }); { user, impersonatedBy }",
  },
  {
    method: "POST",
    path: "/impersonation/stop",
    guard: "requireSession",
    does: "stopImpersonating(); { user: admin.userId | null }",
  },
];

/** What an in-process framework test needs to serve one reference app. */
export interface InProcessSessions {
  sessions: Sessions;
  /** The sessions' clock (ms); `advanceClock` moves it. */
  clock: { now: number };
  /** The store's calls so far, per method. */
  calls: StoreCalls;
  setStore(mode: StoreMode): void;
}

/**
 * Sessions for a reference app: rotation every `ROTATION_INTERVAL` s (grace 10 s), fresh for
 * `FRESH_FOR` s, plain-HTTP cookies (`secure: false`), on a clock the test moves, on a store
 * of `kind` that counts its calls and can be switched down. Two policy classes (`remembered`:
 * a persistent cookie whatever the default; `licence`: at most `LICENCE_LIMIT` sessions per
 * user, the next login refused) and impersonation by users whose id starts with `ADMIN_PREFIX`.
 */
export function referenceSessions(
  kind: StoreKind,
  config: ReferenceConfig["sessions"] = {},
): InProcessSessions {
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const lever = switchableStore(kind.make(now));
  const counted = countingStore(lever.store);
  const sessions = createSessions({
    store: counted.store,
    rotation: { interval: ROTATION_INTERVAL, grace: 10 },
    freshFor: FRESH_FOR,
    cookie: { secure: false, ...config.cookie },
    policies: REFERENCE_POLICIES,
    impersonation: REFERENCE_IMPERSONATION,
    ...(config.binding ? { binding: config.binding } : {}),
    now,
  });
  return { sessions, clock, calls: counted.calls, setStore: lever.set };
}

/**
 * A `ReferenceApp` for a framework served in the test's own process: `serve` mounts the
 * reference routes on `sessions` with `options` and resolves the base URL.
 */
export async function inProcessReferenceApp(
  kind: StoreKind,
  config: ReferenceConfig,
  serve: (sessions: Sessions, options: CommonOptions) => Promise<string>,
): Promise<ReferenceApp & { reference: InProcessSessions }> {
  const reference = referenceSessions(kind, config.sessions);
  const url = await serve(reference.sessions, config.options ?? {});
  return {
    url,
    reference,
    client: () => new Client(url),
    async advanceClock(seconds) {
      reference.clock.now += seconds * 1000;
    },
    async storeReads() {
      return reference.calls.reads;
    },
    async setStore(mode) {
      reference.setStore(mode);
    },
  };
}
