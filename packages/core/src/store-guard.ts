/**
 * Every store call goes through here: a failure, a hang past the timeout or a nonsensical
 * answer becomes `StoreUnavailableError`, so an outage can never be mistaken for "no session".
 */
import { StoreUnavailableError, TesseraError } from "./errors.js";
import type { SessionRecord, SessionStore } from "./store.js";

function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreUnavailableError(`session store did not answer ${operation} within ${ms} ms`),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
  async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const pending = run();
      return await (timeoutMs > 0 ? withTimeout(pending, timeoutMs, operation) : pending);
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
