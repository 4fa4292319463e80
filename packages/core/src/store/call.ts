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
  return createStoreCallWith(store, options);
}

/**
 * `StoreCall` whose `run` takes one argument, handed over by the call: a `run` made once (not a
 * closure per call) for core's own hot path.
 */
export type StoreCallWith = <A, T>(
  operation: string,
  run: (arg: A) => Promise<T>,
  arg: A,
) => Promise<T>;

/** `createStoreCall`, as a `StoreCallWith` (also a `StoreCall`: `run` then takes no argument). */
export function createStoreCallWith(
  store: string,
  options: StoreCallOptions = {},
): StoreCall & StoreCallWith {
  const { timeout = 0, hints, unwrap } = options;
  const deadline = createDeadline(timeout);
  const map = (operation: string, error: unknown) =>
    storeFailure(store, operation, unwrap ? unwrap(error) : error, hints);
  // The error mapper and the timeout error of each operation, made once: operations are a
  // handful of constant names, so a call allocates no closure of its own.
  const mappers = new Map<string, (error: unknown) => unknown>();
  const throwers = new Map<string, (error: unknown) => never>();
  const timeouts = new Map<string, () => Error>();
  const mapperOf = (operation: string) => {
    let mapper = mappers.get(operation);
    if (mapper === undefined) {
      mapper = (error: unknown) => map(operation, error);
      if (mappers.size < MAX_OPERATIONS) mappers.set(operation, mapper);
    }
    return mapper;
  };
  const throwerOf = (operation: string) => {
    let thrower = throwers.get(operation);
    if (thrower === undefined) {
      thrower = (error: unknown) => {
        throw map(operation, error);
      };
      if (throwers.size < MAX_OPERATIONS) throwers.set(operation, thrower);
    }
    return thrower;
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
  const timed = timeout > 0;
  const call = <A, T>(operation: string, run: (arg: A) => Promise<T>, arg: A): Promise<T> => {
    let running: Promise<T>;
    try {
      // `Promise.resolve` returns a native promise as it is: a value or thenable is adopted.
      running = Promise.resolve(run(arg));
    } catch (error) {
      return Promise.reject(map(operation, error));
    }
    return timed
      ? deadline(running, timeoutOf(operation), mapperOf(operation))
      : running.then(undefined, throwerOf(operation));
  };
  // A `StoreCall` too: its `run` is called with `undefined`, which it ignores.
  return call as StoreCall & StoreCallWith;
}

/** Operation names whose mappers are kept (a store has a dozen; more are made per call). */
const MAX_OPERATIONS = 64;
