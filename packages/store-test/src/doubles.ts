/**
 * The test doubles every Tessera package's tests share: records made to measure, and stores
 * that count their calls or fail on demand. No test-runner imports, so an app under test (a
 * Next.js fixture app) can use them too: `@tessera/store-test/doubles`.
 */
import {
  hasEpochs,
  type SessionRecord,
  type SessionStore,
  STORE_EPOCH_METHODS,
  STORE_METHODS,
} from "@tessera/core/store";

const DAY = 24 * 60 * 60 * 1000;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
let users = 0;

/** A fresh id in the shape core uses (24 lowercase base32 characters). */
export function uniqueId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte & 31];
  return id;
}

/**
 * A user id no other test uses, so tests on a shared server need no cleanup between them.
 *
 * @defaultValue label `"conformance-user"`
 */
export function uniqueUser(label = "conformance-user"): string {
  users += 1;
  return `${label}-${Date.now().toString(36)}-${users}-${uniqueId().slice(0, 6)}`;
}

/**
 * A valid record with sensible values (a fresh id and user, live for a day), overridable field
 * by field.
 *
 * @example
 * ```ts
 * const brief = makeRecord({ userId, expiresAt: Date.now() + 500 });
 * const guest = makeRecord({ userId: null, policy: "guest" });
 * ```
 */
export function makeRecord(
  overrides?: Partial<SessionRecord> & { userId?: string },
): SessionRecord & { userId: string };
export function makeRecord(overrides: Partial<SessionRecord>): SessionRecord;
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: uniqueId(),
    userId: uniqueUser(),
    policy: "default",
    impersonatedBy: null,
    version: 1,
    secretHash: "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg",
    previousSecretHash: null,
    rotationNonce: null,
    retiredSecretHashes: [],
    data: { role: "member" },
    createdAt: now,
    authenticatedAt: now,
    freshUntil: now + 10 * 60 * 1000,
    lastActiveAt: now,
    rotatedAt: now,
    expiresAt: now + DAY,
    absoluteExpiresAt: now + 30 * DAY,
    client: { ip: "203.0.113.7", ua: "firefox/133/linux" },
    dbsc: null,
    ...overrides,
  };
}

type Method = keyof SessionStore;

/**
 * A store whose every method is `route(method, args)`: the six required ones, and the three epoch
 * ones when `epochs` (the wrapped store has them).
 */
function storeOf(
  route: (method: Method, args: unknown[]) => Promise<unknown>,
  epochs = false,
): SessionStore {
  const store: Record<string, unknown> = {};
  const methods: readonly Method[] = epochs
    ? [...STORE_METHODS, ...STORE_EPOCH_METHODS]
    : STORE_METHODS;
  for (const method of methods) store[method] = (...args: unknown[]) => route(method, args);
  return store as unknown as SessionStore;
}

function forward(store: SessionStore, method: Method, args: unknown[]): Promise<unknown> {
  return (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
}

/**
 * Calls of each store method, as `countingStore` counts them (the epoch ones stay 0 when absent),
 * and `reads`: the record reads, `get` plus `getWithEpochs` (core reads with the epochs when the
 * store has them), for tests that count the hot path whatever the store.
 */
export type StoreCalls = Record<Method, number> & { readonly reads: number };

/**
 * Wraps `store` and counts the calls of each method (the hot-path budget: one `get`, no write).
 *
 * @example
 * ```ts
 * const counted = countingStore(new MemoryStore());
 * const sessions = createSessions({ store: counted.store });
 * counted.reset();
 * await sessions.validate(token);
 * expect(counted.calls.reads).toBe(1);
 * ```
 */
export function countingStore(store: SessionStore): {
  store: SessionStore;
  calls: StoreCalls;
  reset(): void;
} {
  const calls = {} as StoreCalls;
  // Not enumerable: `Object.values(calls)` lists the methods only.
  Object.defineProperty(calls, "reads", { get: () => calls.get + calls.getWithEpochs });
  const reset = () => {
    for (const method of [...STORE_METHODS, ...STORE_EPOCH_METHODS]) calls[method] = 0;
  };
  reset();
  const counted = storeOf((method, args) => {
    calls[method] += 1;
    return forward(store, method, args);
  }, hasEpochs(store));
  return { store: counted, calls, reset };
}

/** How `failingStore` fails: every call rejects like a refused connection, or never settles. */
export type Failure = "reject" | "hang";

/**
 * A store that is down: every method rejects with a driver-like error (`code: "ECONNREFUSED"`),
 * or with `"hang"` never settles (a server that stopped answering).
 *
 * @defaultValue how `"reject"`
 */
export function failingStore(how: Failure = "reject"): SessionStore {
  return storeOf(
    () => (how === "hang" ? new Promise<never>(() => {}) : Promise.reject(downError())),
    true,
  );
}

function downError(): Error {
  return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), { code: "ECONNREFUSED" });
}

/** How a `switchableStore` behaves right now. */
export type StoreMode = "up" | "down" | "losing-races";

/**
 * Wraps `store` so a test can take it down (every call rejects like `failingStore()`), make every
 * compare-and-swap lose (`update` resolves `false`, as if another server always wrote first),
 * and bring it back up.
 */
export function switchableStore(store: SessionStore): {
  store: SessionStore;
  set(mode: StoreMode): void;
} {
  let mode: StoreMode = "up";
  const switched = storeOf((method, args) => {
    if (mode === "down") return Promise.reject(downError());
    if (mode === "losing-races" && method === "update") return Promise.resolve(false);
    return forward(store, method, args);
  }, hasEpochs(store));
  return {
    store: switched,
    set(next) {
      mode = next;
    },
  };
}
