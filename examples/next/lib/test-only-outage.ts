/**
 * TEST-ONLY. Lets the end-to-end tests simulate a session-store outage, to prove that the app
 * answers 503 rather than "logged out". Inert unless the server was started with
 * TESSERA_EXAMPLE_TEST_HOOKS=1 (the test suite does this); never enable it in a deployment.
 */
import type { SessionStore } from "@tessera/core";

const state = globalThis as { tesseraExampleOutage?: boolean };

/** Whether the test hooks are switched on for this process. */
export const testHooksEnabled = process.env.TESSERA_EXAMPLE_TEST_HOOKS === "1";

/** Turns the simulated outage on or off (no-op without the test hooks). */
export function setTestOutage(down: boolean): void {
  if (testHooksEnabled) state.tesseraExampleOutage = down;
}

/** Wraps a store so that every call fails while the simulated outage is on. */
export function withTestOutageSwitch(store: SessionStore): SessionStore {
  if (!testHooksEnabled) return store;
  const guard = <T>(call: () => Promise<T>): Promise<T> =>
    state.tesseraExampleOutage ? Promise.reject(new Error("simulated outage (test hook)")) : call();
  return {
    create: (record) => guard(() => store.create(record)),
    get: (id) => guard(() => store.get(id)),
    update: (record, version) => guard(() => store.update(record, version)),
    delete: (id) => guard(() => store.delete(id)),
    listByUser: (userId) => guard(() => store.listByUser(userId)),
    deleteByUser: (userId, exceptId) => guard(() => store.deleteByUser(userId, exceptId)),
  };
}
