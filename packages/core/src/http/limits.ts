/**
 * Rate limits built into the library: fixed-window counters behind a three-method interface
 * (`LimitCounter`), in memory by default, in Redis with `@tessera/redis`'s `RedisLimitCounter`
 * when several servers must share them. Used by the token endpoint, the DBSC refresh route and
 * the login throttle; every refusal is the gate's 429 answer (`tooManyRequestsAnswer`).
 */
import { TesseraConfigError } from "../errors.js";
import { ipPrefix } from "../ip.js";

/** A key's count in its current window. */
export interface LimitCount {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Where limit counts live. Fixed windows: the first hit of a key starts a window of `windowMs`,
 * and the count resets when it ends. A store implements it with an atomic increment and an
 * expiry set on the first hit (Redis: `INCR` then `PEXPIRE` in one script).
 */
export interface LimitCounter {
  /** Adds one to `key` and resolves its count; starts a window of `windowMs` on a first hit. */
  hit(key: string, windowMs: number): Promise<LimitCount>;
  /** Resolves `key`'s count without adding to it, or `null` when it has none. */
  peek(key: string): Promise<LimitCount | null>;
  /** Forgets `key` (a successful login clears its failures). */
  reset(key: string): Promise<void>;
}

/** At most `max` requests per `windowSeconds`. */
export interface RateLimit {
  max: number;
  windowSeconds: number;
}

/** Options of `createMemoryCounter`. */
export interface MemoryCounterOptions {
  /** Clock in milliseconds, for tests. @defaultValue `Date.now` */
  now?: () => number;
  /**
   * Keys held at once. Past it, windows that ended are dropped first, then the oldest keys:
   * a flood of new keys costs memory up to this bound, and may forget an old count early.
   * @defaultValue `100_000`
   */
  maxKeys?: number;
}

/**
 * Limit counts in this process's memory: right for one server. Behind a load balancer each
 * server counts on its own (the limits multiply by the number of servers): share a
 * `RedisLimitCounter` there.
 */
export function createMemoryCounter(options: MemoryCounterOptions = {}): LimitCounter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new TesseraConfigError("maxKeys must be a whole number of keys, at least 1");
  }
  const windows = new Map<string, { count: number; endsAt: number }>();

  function makeRoom(at: number) {
    for (const [key, window] of windows) if (window.endsAt <= at) windows.delete(key);
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(key);
    }
  }

  return {
    async hit(key, windowMs) {
      const at = now();
      let window = windows.get(key);
      if (window === undefined || window.endsAt <= at) {
        if (window !== undefined) windows.delete(key);
        else if (windows.size >= maxKeys) makeRoom(at);
        window = { count: 0, endsAt: at + windowMs };
        windows.set(key, window);
      }
      window.count++;
      return { count: window.count, resetInMs: window.endsAt - at };
    },
    async peek(key) {
      const window = windows.get(key);
      const at = now();
      if (window === undefined || window.endsAt <= at) return null;
      return { count: window.count, resetInMs: window.endsAt - at };
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

/** Checks a `RateLimit` option: `false` (off), or whole positive numbers. */
export function checkRateLimit(name: string, value: unknown): RateLimit | false {
  if (value === false) return false;
  const limit = value as Partial<RateLimit> | null;
  if (
    typeof limit !== "object" ||
    limit === null ||
    !Number.isInteger(limit.max) ||
    (limit.max as number) < 1 ||
    !Number.isInteger(limit.windowSeconds) ||
    (limit.windowSeconds as number) < 1
  ) {
    throw new TesseraConfigError(
      `${name} must be false or { max, windowSeconds } in whole numbers from 1, got ${JSON.stringify(value)}`,
    );
  }
  return { max: limit.max as number, windowSeconds: limit.windowSeconds as number };
}

/** Checks a `LimitCounter` option (default: a new memory counter). */
export function checkCounter(value: unknown): LimitCounter {
  if (value === undefined) return createMemoryCounter();
  const counter = value as Partial<LimitCounter> | null;
  if (
    typeof counter !== "object" ||
    counter === null ||
    typeof counter.hit !== "function" ||
    typeof counter.peek !== "function" ||
    typeof counter.reset !== "function"
  ) {
    throw new TesseraConfigError("counter must implement hit, peek and reset (LimitCounter)");
  }
  return counter as LimitCounter;
}

/**
 * The key a client address is counted under: the address itself for IPv4, its /64 for IPv6
 * (one subscriber holds a whole /64, and could otherwise take a fresh address per attempt).
 * `null` when the address is unknown: such requests are not counted per address, since one
 * shared "unknown" bucket would let anyone lock everybody out.
 */
export function addressKey(address: string | null | undefined): string | null {
  if (!address) return null;
  return ipPrefix(address, 32, 64) ?? address;
}

/**
 * Counts one request against each `[key, limit]` (every one is counted) and resolves the
 * seconds to wait when any is over its limit, else `null`.
 */
export async function takeLimits(
  counter: LimitCounter,
  checks: ReadonlyArray<readonly [string, RateLimit]>,
): Promise<number | null> {
  let waitMs = -1;
  for (const [key, limit] of checks) {
    const { count, resetInMs } = await counter.hit(key, limit.windowSeconds * 1000);
    if (count > limit.max && resetInMs > waitMs) waitMs = resetInMs;
  }
  return waitMs < 0 ? null : Math.max(1, Math.ceil(waitMs / 1000));
}
