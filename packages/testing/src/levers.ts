/**
 * Stores that count their calls or fail on demand. No test-runner imports, so a test fixture app
 * (the Next.js reference app) can use them too: `@tessera/testing/levers`.
 */
import type { SessionStore } from "@tessera/core";

/** Calls of each store method, as counted by `counting`. */
export type StoreCalls = Record<keyof SessionStore, number>;

/** Wraps a store and counts the calls of each method. */
export function counting(store: SessionStore): { store: SessionStore; calls: StoreCalls } {
  const calls: StoreCalls = {
    create: 0,
    get: 0,
    update: 0,
    delete: 0,
    listByUser: 0,
    deleteByUser: 0,
  };
  const wrapped = {} as SessionStore;
  for (const method of Object.keys(calls) as Array<keyof SessionStore>) {
    (wrapped as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls[method] += 1;
      return (store[method] as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return { store: wrapped, calls };
}

/** A store whose every method rejects, like a Redis that went away. */
export function downStore(): SessionStore {
  const fail = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390"));
  return {
    create: fail,
    get: fail,
    update: fail,
    delete: fail,
    listByUser: fail,
    deleteByUser: fail,
  };
}

/** How a `switchable` store behaves right now. */
export type StoreMode = "up" | "down" | "losing-races";

/**
 * Wraps a store so a test can take it down (every call rejects like a refused connection) or
 * make every compare-and-swap lose (`update` resolves `false`, as if another server always
 * wrote first), and bring it back.
 */
export function switchable(store: SessionStore): {
  store: SessionStore;
  set(mode: StoreMode): void;
} {
  let mode: StoreMode = "up";
  const down = downStore();
  const wrapped = {} as SessionStore;
  for (const method of Object.keys(down) as Array<keyof SessionStore>) {
    (wrapped as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      if (mode === "down") return (down[method] as () => Promise<never>)();
      if (mode === "losing-races" && method === "update") return Promise.resolve(false);
      return (store[method] as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return {
    store: wrapped,
    set(next) {
      mode = next;
    },
  };
}
