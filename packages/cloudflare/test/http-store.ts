/**
 * A `SessionStore` on Node that forwards each call over HTTP to a real `DurableObjectStore` in
 * the test Worker (test/worker.ts), so the conformance suite exercises Durable Objects running
 * in workerd. Errors come back by code and are raised again as the same Tessera classes.
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

export class HttpStore implements SessionStore {
  constructor(
    private readonly url: string,
    private readonly prefix = "",
  ) {}

  async #call<T>(method: string, ...args: unknown[]): Promise<T> {
    // One connection per call (see requestJson): workerd may reset a kept-alive one under load.
    const body = (await requestJson(`${this.url}/store`, {
      method,
      args,
      prefix: this.prefix,
    })) as {
      value?: T;
      error?: { code?: string; message: string; name: string };
    };
    if (body.error) {
      const ErrorClass = body.error.code ? ERRORS[body.error.code] : undefined;
      throw ErrorClass
        ? new ErrorClass(body.error.message)
        : new Error(`${body.error.name}: ${body.error.message}`);
    }
    return body.value as T;
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
