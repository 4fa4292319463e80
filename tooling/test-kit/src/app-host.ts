/**
 * The reference apps inside a production build (SvelteKit, Astro, React Router): the state a
 * built server keeps, and the TEST-ONLY levers (`/test-only/*`) through which the test process
 * reconfigures it, moves its clock, switches its store and reads its events. Bundled into those
 * apps, so it imports no vitest and nothing of this package's test side. The levers answer 404
 * unless the server runs with `TESSERA_REFERENCE_TEST_HOOKS=1`.
 */
import { createSessions, MemoryStore, type SessionEvent, type Sessions } from "@tessera/core";
import type { DbscHandler, GateOptions } from "@tessera/core/http";
import {
  countingStore,
  type StoreCalls,
  type StoreMode,
  switchableStore,
} from "@tessera/store-test/doubles";
import { REFERENCE_IMPERSONATION, REFERENCE_POLICIES } from "./policies.js";
import type { ReferenceConfig } from "./reference.js";

/** Seconds a bound cookie lives in the DBSC reference app. */
export const DBSC_COOKIE_TTL = 600;
/** Seconds a challenge may be answered in the DBSC reference app. */
export const DBSC_CHALLENGE_TTL = 120;
/**
 * The path the DBSC reference app excludes from the device-bound session (`excludePaths`): the
 * device list, so a scenario can show what an excluded path gives up.
 */
export const DBSC_EXCLUDED_PATH = "/devices";

/** What a test sends to configure a hosted app: a `ReferenceConfig`, or DBSC mode. */
export interface HostedConfig extends ReferenceConfig {
  /** Serve the DBSC reference app instead (sessions as `dbscReferenceSessions`, `dbsc` on). */
  dbsc?: boolean;
}

/** The current configuration of a hosted app, and what the app mounted on it. */
export interface Hosted<Mounted> {
  sessions: Sessions;
  options: GateOptions;
  /** The integration the app built on these sessions and options (its hook, middleware). */
  mounted: Mounted;
  offsetMs: number;
  calls: StoreCalls;
  events: SessionEvent[];
  setStore(mode: StoreMode): void;
}

/** How an app mounts its integration, and the DBSC handler it builds. */
export interface HostSetup<Mounted> {
  mount(sessions: Sessions, options: GateOptions): Mounted;
  dbsc(sessions: Sessions): DbscHandler;
}

/** A hosted app's state and levers. */
export interface ReferenceHost<Mounted> {
  /** The current state (configured with defaults on first use). */
  current(): Hosted<Mounted>;
  /** The answer of a `/test-only/*` lever, or `null` for any other path. */
  answer(request: Request): Promise<Response | null>;
}

const ENABLED = typeof process !== "undefined" && process.env.TESSERA_REFERENCE_TEST_HOOKS === "1";
const HOLDER = Symbol.for("tessera.testing.hosted");
type Holder = { [HOLDER]?: Hosted<unknown> };

/**
 * The state of a reference app served by a built server. Kept on `globalThis`: a framework may
 * bundle its middleware and its routes into separate module graphs of one process.
 */
export function referenceHost<Mounted>(setup: HostSetup<Mounted>): ReferenceHost<Mounted> {
  const holder = globalThis as Holder;

  function configure(config: HostedConfig = {}): Hosted<Mounted> {
    const hosted = { offsetMs: 0, events: [] as SessionEvent[] } as Hosted<Mounted>;
    const now = () => Date.now() + hosted.offsetMs;
    const lever = switchableStore(new MemoryStore({ now }));
    const counted = countingStore(lever.store);
    hosted.calls = counted.calls;
    hosted.setStore = lever.set;
    hosted.sessions = config.dbsc
      ? createSessions({
          store: counted.store,
          cookie: { secure: false },
          now,
          onEvent: (event) => {
            hosted.events.push(event);
          },
        })
      : createSessions({
          store: counted.store,
          rotation: { interval: 60, grace: 10 },
          freshFor: 600,
          cookie: { secure: false, ...config.sessions?.cookie },
          ...(config.sessions?.binding ? { binding: config.sessions.binding } : {}),
          policies: REFERENCE_POLICIES,
          impersonation: REFERENCE_IMPERSONATION,
          now,
        });
    hosted.options = config.dbsc
      ? { dbsc: setup.dbsc(hosted.sessions) }
      : { ...(config.options ?? {}) };
    hosted.mounted = setup.mount(hosted.sessions, hosted.options);
    holder[HOLDER] = hosted;
    return hosted;
  }

  const current = () => (holder[HOLDER] as Hosted<Mounted> | undefined) ?? configure();

  async function answer(request: Request): Promise<Response | null> {
    const path = new URL(request.url).pathname;
    if (!path.startsWith("/test-only/")) return null;
    if (!ENABLED) return new Response("Not found", { status: 404 });
    const action = path.slice("/test-only/".length);
    if (request.method === "GET") {
      if (action === "reads") return Response.json({ reads: current().calls.reads });
      if (action === "events") return Response.json({ events: current().events });
      return new Response("Not found", { status: 404 });
    }
    const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    switch (action) {
      case "configure":
        configure(body as HostedConfig);
        return Response.json({ ok: true });
      case "clock":
        current().offsetMs += Number(body.seconds) * 1000;
        return Response.json({ ok: true });
      case "store":
        current().setStore(body.mode as StoreMode);
        return Response.json({ ok: true });
      case "revoke":
        return Response.json({ result: await current().sessions.revoke(String(body.id)) });
      case "revoke-all":
        return Response.json({ result: await current().sessions.revokeAll(String(body.user)) });
      default:
        return new Response("Not found", { status: 404 });
    }
  }

  return { current, answer };
}
