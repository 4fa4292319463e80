/**
 * A `SessionStore` on Node that forwards each call over HTTP to a real `SQLiteStore` in another
 * runtime (runtimes/app.ts), so the conformance suite exercises the built package where it runs.
 * Errors come back by code and are raised again as the same Tessera classes.
 */
import {
  InvalidArgumentError,
  SessionConflictError,
  type SessionStore,
  StoreUnavailableError,
  TesseraConfigError,
  type TesseraError,
} from "@tessera/core";
import type { RevocationEpochs, SessionRecord } from "@tessera/core/store";
import { requestJson } from "@tessera/edge-test-kit";

const ERRORS: Record<string, new (message: string) => TesseraError> = {
  conflict: SessionConflictError,
  "store-unavailable": StoreUnavailableError,
  "invalid-argument": InvalidArgumentError,
  config: TesseraConfigError,
};

async function post<T>(url: string, body?: unknown): Promise<T> {
  // One connection per call (see requestJson): workerd may reset a kept-alive one under load.
  const answer = (await requestJson(url, body)) as {
    value?: T;
    error?: { code?: string; message: string; name: string };
  };
  if (answer.error) {
    const ErrorClass = answer.error.code ? ERRORS[answer.error.code] : undefined;
    throw ErrorClass
      ? new ErrorClass(answer.error.message)
      : new Error(`${answer.error.name}: ${answer.error.message}`);
  }
  return answer.value as T;
}

export class RemoteStore implements SessionStore {
  constructor(private readonly url: string) {}

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
    return post<T>(`${this.url}/store`, { method, args });
  }

  create(record: SessionRecord) {
    return this.#call<void>("create", record).then(() => undefined);
  }
  get(id: string) {
    return this.#call<SessionRecord | null>("get", id);
  }
  update(record: SessionRecord, expectedVersion: number) {
    return this.#call<boolean>("update", record, expectedVersion);
  }
  delete(id: string) {
    return this.#call<void>("delete", id).then(() => undefined);
  }
  listByUser(userId: string) {
    return this.#call<SessionRecord[]>("listByUser", userId);
  }
  deleteByUser(userId: string, exceptId?: string) {
    return this.#call<number>("deleteByUser", userId, exceptId);
  }
  getWithEpochs(id: string) {
    return this.#call<{ record: SessionRecord; epochs: RevocationEpochs } | null>(
      "getWithEpochs",
      id,
    );
  }
  readEpochs(userId: string | null) {
    return this.#call<RevocationEpochs>("readEpochs", userId);
  }
  raiseEpoch(userId: string | null, at: number) {
    return this.#call<void>("raiseEpoch", userId, at).then(() => undefined);
  }
}

/** The row as the runtime's database holds it, read without the store. */
export function rawRow(url: string, id: string): Promise<unknown> {
  return post(`${url}/raw/${encodeURIComponent(id)}`);
}

/** Runs `migrate(db)` inside the runtime. */
export function migrateRemote(url: string): Promise<void> {
  return post(`${url}/migrate`, {});
}
