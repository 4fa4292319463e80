/**
 * Every store call goes through here: a failure, a hang past the timeout or a nonsensical
 * answer becomes `StoreUnavailableError`, so an outage can never be mistaken for "no session".
 */
import { StoreUnavailableError } from "./errors.js";
import { createStoreCall } from "./store/call.js";
import type { SessionRecord, SessionStore } from "./store/record.js";

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

/**
 * Wraps `store` with error mapping and a per-call deadline (`timeoutMs` 0 = none): every method
 * answers sanely or throws `StoreUnavailableError`.
 */
export function guardStore(store: SessionStore, timeoutMs: number): SessionStore {
  const call = createStoreCall("session store", { timeout: timeoutMs });
  const invalid = (operation: string) =>
    new StoreUnavailableError(`session store returned an invalid answer to ${operation}`);

  return {
    create: (record) => call("create", () => store.create(record)),
    get(id) {
      // A `then` rather than an `async` wrapper: one step less per validate on the hot path.
      return call("get", () => store.get(id)).then((record) => {
        if (record === null || record === undefined) return null;
        if (!isRecord(record, id)) throw invalid("get");
        return record;
      });
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
