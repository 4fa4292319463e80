/**
 * Deadlines for promises, served by one shared timer rather than one timer per call: a timer per
 * validate costs more than the rest of the hot path's bookkeeping together. Core guards every
 * store call with one; a store that wants its own tighter per-round-trip bound uses the same.
 */

/** Settles like `promise`, or rejects with `onTimeout()` if it has not settled in time. */
export type Deadline = <T>(promise: Promise<T>, onTimeout: () => Error) => Promise<T>;

interface Pending {
  deadline: number;
  expire: () => void;
}

/** A deadline of `ms` milliseconds for any number of calls; `ms <= 0` returns promises unchanged. */
export function createDeadline(ms: number): Deadline {
  if (!(ms > 0)) return (promise) => promise;
  // Every entry gets the same timeout, so insertion order is deadline order.
  const pending = new Set<Pending>();
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
    for (const entry of pending) {
      if (entry.deadline > now) return arm(entry.deadline - now);
      pending.delete(entry);
      entry.expire();
    }
  }
  return <T>(promise: Promise<T>, onTimeout: () => Error) =>
    new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + ms, expire: () => reject(onTimeout()) };
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
}
