/**
 * One store round trip, the way every Tessera store makes it: under an optional deadline, with
 * any driver failure turned into `StoreUnavailableError` by `storeFailure`. A store builds its
 * `call` once and sends every driver request through it.
 */
import { StoreUnavailableError } from "../errors.js";
import { createDeadline } from "./deadline.js";
import { type FailureHints, storeFailure } from "./failure.js";

/** Runs one store operation: settles like `run()`, or rejects with a Tessera error. */
export type StoreCall = <T>(operation: string, run: () => Promise<T>) => Promise<T>;

/** Options of `createStoreCall`. */
export interface StoreCallOptions {
  /**
   * Milliseconds one call may take before it rejects with `StoreUnavailableError("<store> did
   * not answer <operation> within <timeout> ms")`, whatever the driver does meanwhile.
   * @defaultValue `0` (no deadline of its own: core's `storeTimeout` bounds every store call)
   */
  timeout?: number;
  /** Added to the message after the driver's error code (see `storeFailure`). */
  hints?: FailureHints;
  /**
   * The error to report for what the driver threw: e.g. the driver's own error out of an ORM's
   * wrapper whose message lists statement parameters. Default: the error as thrown.
   */
  unwrap?: (error: unknown) => unknown;
}

/**
 * The call wrapper of one store, named `store` in its errors (`"Redis"`, `"Postgres"`).
 *
 * @example
 * ```ts
 * const call = createStoreCall("Redis", { timeout: options.commandTimeout });
 * const stored = await call("GET", () => client.get(key));
 * ```
 */
export function createStoreCall(store: string, options: StoreCallOptions = {}): StoreCall {
  const { timeout = 0, hints, unwrap } = options;
  const deadline = createDeadline(timeout);
  // The error mapper and the timeout error of each operation, made once: operations are a
  // handful of constant names, so a call allocates no closure of its own.
  const failures = new Map<string, (error: unknown) => never>();
  const timeouts = new Map<string, () => Error>();
  const failureOf = (operation: string) => {
    let fail = failures.get(operation);
    if (fail === undefined) {
      fail = (error: unknown) => {
        throw storeFailure(store, operation, unwrap ? unwrap(error) : error, hints);
      };
      if (failures.size < MAX_OPERATIONS) failures.set(operation, fail);
    }
    return fail;
  };
  const timeoutOf = (operation: string) => {
    let expired = timeouts.get(operation);
    if (expired === undefined) {
      expired = () =>
        new StoreUnavailableError(`${store} did not answer ${operation} within ${timeout} ms`);
      if (timeouts.size < MAX_OPERATIONS) timeouts.set(operation, expired);
    }
    return expired;
  };
  return <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    let running: Promise<T>;
    try {
      // `Promise.resolve` returns a native promise as it is: a value or thenable is adopted.
      running = Promise.resolve(run());
    } catch (error) {
      return Promise.reject(storeFailure(store, operation, unwrap ? unwrap(error) : error, hints));
    }
    return deadline(running, timeoutOf(operation)).then(undefined, failureOf(operation));
  };
}

/** Operation names whose mappers are kept (a store has a dozen; more are made per call). */
const MAX_OPERATIONS = 64;
