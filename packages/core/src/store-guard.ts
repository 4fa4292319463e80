/**
 * Every store call goes through here: a failure, a hang past the timeout or a nonsensical
 * answer becomes `StoreUnavailableError`, so an outage can never be mistaken for "no session".
 */
import { StoreUnavailableError } from "./errors.js";
import { createStoreCallWith, type StoreCall, type StoreCallWith } from "./store/call.js";
import { hasEpochs } from "./store/methods.js";
import type { RevocationEpochs, SessionRecord, SessionStore } from "./store/record.js";

function isRecord(value: unknown, id?: string): value is SessionRecord {
  if (!value || typeof value !== "object") return false;
  const record = value as SessionRecord;
  // A record written before policy classes existed, by a store that does not default them yet.
  if (record.policy === undefined) record.policy = "default";
  if (record.impersonatedBy === undefined) record.impersonatedBy = null;
  return (
    typeof record.policy === "string" &&
    (typeof record.impersonatedBy === "string" || record.impersonatedBy === null) &&
    typeof record.id === "string" &&
    (id === undefined || record.id === id) &&
    (typeof record.userId === "string" || record.userId === null) &&
    typeof record.version === "number" &&
    typeof record.secretHash === "string" &&
    typeof record.expiresAt === "number" &&
    typeof record.absoluteExpiresAt === "number"
  );
}

function isEpochs(value: unknown): value is RevocationEpochs {
  if (!value || typeof value !== "object") return false;
  const { global, user } = value as Partial<RevocationEpochs>;
  return (
    typeof global === "number" &&
    Number.isFinite(global) &&
    typeof user === "number" &&
    Number.isFinite(user)
  );
}

/** A record read with the revocation epochs that may have ended it (`getWithEpochs`). */
export type WithEpochs = { record: SessionRecord; epochs: RevocationEpochs };

/**
 * `getWithEpochs` of a guarded store in two steps, for validate's hot path: `read` makes the
 * call (deadline, errors mapped), `check` (synchronous) vets what it resolved, so the caller
 * checks in a `then` it has anyway instead of one more of its own.
 */
export interface EpochRead {
  read(id: string): Promise<unknown>;
  /** The answer as `getWithEpochs` resolves it: `null`, or `StoreUnavailableError` if invalid. */
  check(found: unknown, id: string): WithEpochs | null;
}

function invalid(operation: string) {
  return new StoreUnavailableError(`session store returned an invalid answer to ${operation}`);
}

function checkWithEpochs(found: unknown, id: string): WithEpochs | null {
  if (found === null || found === undefined) return null;
  const answer = found as Partial<WithEpochs>;
  if (typeof found !== "object" || !isRecord(answer.record, id) || !isEpochs(answer.epochs)) {
    throw invalid("getWithEpochs");
  }
  return found as WithEpochs;
}

/** The epoch read of `guardStore(store, timeoutMs)`, or `null` for a store without epochs. */
export function guardEpochRead(store: SessionStore, timeoutMs: number): EpochRead | null {
  if (!hasEpochs(store)) return null;
  const call = createStoreCallWith("session store", { timeout: timeoutMs });
  // Made once: a call hands it the id (no closure per validate).
  const read = (id: string) => store.getWithEpochs(id);
  return {
    read: (id) => call("getWithEpochs", read, id),
    check: checkWithEpochs,
  };
}

/**
 * Wraps `store` with error mapping and a per-call deadline (`timeoutMs` 0 = none): every method
 * answers sanely or throws `StoreUnavailableError`. The epoch methods are kept only when the
 * store has all three.
 */
export function guardStore(store: SessionStore, timeoutMs: number): SessionStore {
  const call = createStoreCallWith("session store", { timeout: timeoutMs });
  const guarded = guardRequired(store, call, invalid);
  if (!hasEpochs(store)) return guarded;
  // Made once: a call hands it the id (no closure per call).
  const readWithEpochs = (id: string) => store.getWithEpochs(id);
  return {
    ...guarded,
    getWithEpochs(id) {
      // A `then` rather than an `async` wrapper, as `get`.
      return call("getWithEpochs", readWithEpochs, id).then((found) => checkWithEpochs(found, id));
    },
    async readEpochs(userId) {
      const epochs = await call("readEpochs", () => store.readEpochs(userId));
      if (!isEpochs(epochs)) throw invalid("readEpochs");
      return epochs;
    },
    raiseEpoch: (userId, at) => call("raiseEpoch", () => store.raiseEpoch(userId, at)),
  };
}

function guardRequired(
  store: SessionStore,
  call: StoreCall & StoreCallWith,
  invalid: (operation: string) => StoreUnavailableError,
): SessionStore {
  const read = (id: string) => store.get(id);
  return {
    create: (record) => call("create", () => store.create(record)),
    get(id) {
      // A `then` rather than an `async` wrapper: one step less per validate on the hot path.
      return call("get", read, id).then((record) => {
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
