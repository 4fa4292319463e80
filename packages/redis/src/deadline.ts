/**
 * A per-command deadline for Redis calls. One shared timer serves every pending call, as core's
 * own store watchdog does, so a GET on the validate hot path costs a Set insert and delete
 * rather than arming and clearing a timer of its own.
 */

interface Pending {
  deadline: number;
  expire: () => void;
}

/** Settles like `promise`, or rejects with `describe()` if it has not settled in time. */
export type Deadline = <T>(promise: Promise<T>, describe: () => Error) => Promise<T>;

/** A deadline of `ms` milliseconds; `ms <= 0` returns the promise unchanged. */
export function createDeadline(ms: number): Deadline {
  if (ms <= 0) return (promise) => promise;
  // Every entry gets the same timeout, so insertion order is deadline order.
  const pending = new Set<Pending>();
  let armed = false;
  const arm = (delay: number) => {
    armed = true;
    // An idle store must not keep the process alive.
    setTimeout(sweep, delay).unref();
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
  return <T>(promise: Promise<T>, describe: () => Error) =>
    new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + ms, expire: () => reject(describe()) };
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
