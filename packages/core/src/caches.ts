/**
 * Every module-level cache of core, in one visible place. Each is bounded (cleared when full)
 * and keyed by what a server sees over and over on the hot path: the same few hundred
 * user-agent strings and clients. None holds a secret, a token or session data.
 */

/** Entries per cache before it is cleared. */
export const CACHE_SIZE = 512;

/** A bounded memo of `compute(key)`. */
export interface BoundedCache<T> {
  /** The memoised value for `key`, computed (`compute(key)`) on a miss. */
  get(key: string, compute: (key: string) => T): T;
  /** Entries held now. */
  readonly size: number;
}

const registry = new Map<string, BoundedCache<unknown>>();

/** A bounded cache, registered under `name` (see `cacheSizes`). */
export function boundedCache<T>(name: string): BoundedCache<T> {
  const entries = new Map<string, T>();
  const cache: BoundedCache<T> = {
    get(key, compute) {
      let value = entries.get(key);
      if (value === undefined) {
        value = compute(key);
        if (entries.size >= CACHE_SIZE) entries.clear();
        entries.set(key, value);
      }
      return value;
    },
    get size() {
      return entries.size;
    },
  };
  registry.set(name, cache as BoundedCache<unknown>);
  return cache;
}

/** How full each cache is, by name (for tests and diagnostics). */
export function cacheSizes(): Record<string, number> {
  return Object.fromEntries([...registry].map(([name, cache]) => [name, cache.size]));
}
