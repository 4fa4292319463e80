/**
 * Deadlines for promises, served by one shared timer rather than one timer per call: a timer per
 * validate costs more than the rest of the hot path's bookkeeping together. Core guards every
 * store call with one; a store that wants its own tighter per-round-trip bound uses the same.
 */

/**
 * Settles like `promise`, or rejects with `onTimeout()` if it has not settled in time. With
 * `mapError`, a rejection (the promise's, or the timeout's) carries `mapError(error)` instead.
 */
export type Deadline = <T>(
  promise: Promise<T>,
  onTimeout: () => Error,
  mapError?: (error: unknown) => unknown,
) => Promise<T>;

/**
 * One call waiting for its answer: its deadline, and how to reject it when that passes. The
 * calls waiting under one deadline are chained through `previous` / `next` (in deadline order):
 * adding and removing one allocates nothing, where a `Set` rehashes its table every few calls.
 */
class Pending {
  reject: (error: unknown) => void = noop;
  previous: Pending | null = null;
  next: Pending | null = null;
  constructor(
    readonly deadline: number,
    readonly onTimeout: () => Error,
    readonly mapError: ((error: unknown) => unknown) | undefined,
  ) {}

  fail(error: unknown): void {
    this.reject(this.mapError ? this.mapError(error) : error);
  }
}

/** The calls waiting under one deadline, oldest first. */
class PendingList {
  first: Pending | null = null;
  last: Pending | null = null;

  add(entry: Pending): void {
    entry.previous = this.last;
    if (this.last === null) this.first = entry;
    else this.last.next = entry;
    this.last = entry;
  }

  /** Removes `entry` if it is still listed (a second removal does nothing). */
  delete(entry: Pending): void {
    const { previous, next } = entry;
    if (previous === null && this.first !== entry) return;
    if (previous === null) this.first = next;
    else previous.next = next;
    if (next === null) this.last = previous;
    else next.previous = previous;
    entry.previous = null;
    entry.next = null;
  }
}

const noop = () => {};

/**
 * The call whose promise is being made: `new Promise` runs its executor synchronously, so one
 * shared executor hands the promise's reject function over without a closure per call.
 */
let starting: Pending | null = null;
let startingResolve: ((value: never) => void) | null = null;
function capture(resolve: (value: never) => void, reject: (error: unknown) => void) {
  startingResolve = resolve;
  (starting as Pending).reject = reject;
}

/** A deadline of `ms` milliseconds for any number of calls; `ms <= 0` returns promises unchanged. */
export function createDeadline(ms: number): Deadline {
  if (!(ms > 0)) return (promise) => promise;
  // Every entry gets the same timeout, so insertion order is deadline order.
  const pending = new PendingList();
  let armed = false;
  const arm = (delay: number) => {
    armed = true;
    const timer = setTimeout(sweep, delay);
    // Where timers can be unreferenced (Node, Bun), an idle deadline must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  };
  function sweep() {
    armed = false;
    const now = Date.now();
    for (let entry = pending.first; entry !== null; entry = pending.first) {
      if (entry.deadline > now) return arm(entry.deadline - now);
      pending.delete(entry);
      entry.fail(entry.onTimeout());
    }
  }
  return <T>(
    promise: Promise<T>,
    onTimeout: () => Error,
    mapError?: (error: unknown) => unknown,
  ) => {
    const entry = new Pending(Date.now() + ms, onTimeout, mapError);
    starting = entry;
    const settled = new Promise<T>(capture);
    const resolve = startingResolve as (value: T) => void;
    starting = null;
    startingResolve = null;
    pending.add(entry);
    if (!armed) arm(ms);
    promise.then(
      (value) => {
        pending.delete(entry);
        resolve(value);
      },
      (error: unknown) => {
        pending.delete(entry);
        entry.fail(error);
      },
    );
    return settled;
  };
}
