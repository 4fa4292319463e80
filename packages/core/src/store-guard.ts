/**
 * Every store call goes through here: a failure, a hang past the timeout or a nonsensical
 * answer becomes `StoreUnavailableError`, so an outage can never be mistaken for "no session".
 */
import { StoreUnavailableError, TesseraError } from "./errors.js";
import type { SessionRecord, SessionStore } from "./store.js";

/**
 * Deadlines for store calls, served by one shared timer rather than one timer per call: a timer
 * per validate costs more than the rest of the hot path's bookkeeping together.
 */
function createWatchdog(ms: number) {
  const pending = new Set<{ deadline: number; fail: () => void }>();
  let armed = false;
  const arm = (delay: number) => {
    armed = true;
    const timer = setTimeout(sweep, delay);
    // Where timers can be unreferenced (Node, Bun), an idle watchdog must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  };
  function sweep() {
    armed = false;
    const at = Date.now();
    for (const entry of pending) {
      // Entries are inserted in deadline order (same timeout for all), so the first live one is next.
      if (entry.deadline > at) return arm(entry.deadline - at);
      pending.delete(entry);
      entry.fail();
    }
  }
  return function watch<T>(promise: Promise<T>, operation: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = {
        deadline: Date.now() + ms,
        fail: () =>
          reject(
            new StoreUnavailableError(`session store did not answer ${operation} within ${ms} ms`),
          ),
      };
      pending.add(entry);
      if (!armed) arm(ms);
      promise.then(
        (value) => {
          pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(entry);
          reject(error);
        },
      );
    });
  };
}

function isRecord(value: unknown, id?: string): value is SessionRecord {
  if (!value || typeof value !== "object") return false;
  const record = value as SessionRecord;
  return (
    typeof record.id === "string" &&
    (id === undefined || record.id === id) &&
    typeof record.userId === "string" &&
    typeof record.version === "number" &&
    typeof record.secretHash === "string" &&
    typeof record.expiresAt === "number" &&
    typeof record.absoluteExpiresAt === "number"
  );
}

/** A store wrapped so that every method either answers sanely or throws `StoreUnavailableError`. */
export interface GuardedStore {
  create(record: SessionRecord): Promise<void>;
  get(id: string): Promise<SessionRecord | null>;
  update(record: SessionRecord, expectedVersion: number): Promise<boolean>;
  delete(id: string): Promise<void>;
  listByUser(userId: string): Promise<SessionRecord[]>;
  deleteByUser(userId: string, exceptId?: string): Promise<number>;
}

/** Wraps `store` with error mapping and a per-call timeout (`timeoutMs` 0 = none). */
export function guardStore(store: SessionStore, timeoutMs: number): GuardedStore {
  const watch = timeoutMs > 0 ? createWatchdog(timeoutMs) : null;
  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const pending = run();
      return await (watch ? watch(pending, operation) : pending);
    } catch (error) {
      if (error instanceof TesseraError) throw error;
      throw new StoreUnavailableError(`session store failed during ${operation}`, { cause: error });
    }
  }
  const invalid = (operation: string) =>
    new StoreUnavailableError(`session store returned an invalid answer to ${operation}`);

  return {
    create: (record) => call("create", () => store.create(record)),
    async get(id) {
      const record = await call("get", () => store.get(id));
      if (record === null || record === undefined) return null;
      if (!isRecord(record, id)) throw invalid("get");
      return record;
    },
    async update(record, expectedVersion) {
      const written = await call("update", () => store.update(record, expectedVersion));
      if (typeof written !== "boolean") throw invalid("update");
      return written;
    },
    delete: (id) => call("delete", () => store.delete(id)),
    async listByUser(userId) {
      const records = await call("listByUser", () => store.listByUser(userId));
      if (!Array.isArray(records) || !records.every((record) => isRecord(record))) {
        throw invalid("listByUser");
      }
      return records;
    },
    async deleteByUser(userId, exceptId) {
      const count = await call("deleteByUser", () => store.deleteByUser(userId, exceptId));
      if (typeof count !== "number") throw invalid("deleteByUser");
      return count;
    },
  };
}
