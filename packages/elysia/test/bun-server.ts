/**
 * The reference app on Bun (run by bun.test.ts as `bun run test/bun-server.ts`): a control server
 * whose endpoints start a fresh reference app per scenario (new store, clock and options, on its
 * own port), move its clock, count its store reads and switch its store. Prints the control URL.
 */
import { createSessions, MemoryStore } from "@tessera/core";
import { countingStore, type StoreMode, switchableStore } from "@tessera/store-test/doubles";
import { REFERENCE_IMPERSONATION, REFERENCE_POLICIES } from "@tessera/test-kit/policies";
import { Elysia } from "elysia";
import { referenceApp } from "./reference-app.js";

interface Running {
  app: ReturnType<typeof referenceApp>;
  offsetMs: number;
  reads: () => number;
  setStore: (mode: StoreMode) => void;
}
let running: Running | undefined;

function configure(config: {
  options?: Record<string, unknown>;
  sessions?: { cookie?: Record<string, unknown>; binding?: Record<string, string> };
}): string {
  running?.app.stop(true);
  const next = { offsetMs: 0 } as Running;
  const now = () => Date.now() + next.offsetMs;
  const lever = switchableStore(new MemoryStore({ now }));
  const counted = countingStore(lever.store);
  const sessions = createSessions({
    store: counted.store,
    rotation: { interval: 60, grace: 10 },
    freshFor: 600,
    cookie: { secure: false, ...config.sessions?.cookie },
    // The reference sessions' policies, from the vitest-free module of @tessera/test-kit.
    policies: REFERENCE_POLICIES,
    impersonation: REFERENCE_IMPERSONATION,
    ...(config.sessions?.binding ? { binding: config.sessions.binding } : {}),
    now,
  });
  next.reads = () => counted.calls.reads;
  next.setStore = lever.set;
  next.app = referenceApp(sessions, config.options ?? {}).listen({
    port: 0,
    hostname: "127.0.0.1",
  });
  running = next;
  return `http://127.0.0.1:${next.app.server!.port}`;
}

const control = new Elysia()
  .post("/configure", ({ body }) => ({ url: configure((body ?? {}) as never) }))
  .post("/clock", ({ body }) => {
    running!.offsetMs += Number((body as { seconds: number }).seconds) * 1000;
    return { ok: true };
  })
  .post("/store", ({ body }) => {
    running!.setStore((body as { mode: StoreMode }).mode);
    return { ok: true };
  })
  .get("/reads", () => ({ reads: running!.reads() }))
  .listen({ port: 0, hostname: "127.0.0.1" });

console.log(`listening on http://127.0.0.1:${control.server!.port}`);
