/**
 * The login throttle: what an application puts in front of its password (and step-up) check.
 * Failures are counted per (account, address) pair, with a lock that doubles at each strike,
 * and every attempt per address: a guesser is slowed on every account it tries and capped
 * overall, while the account's owner, from any other address, is never locked out by it.
 */
import { TesseraConfigError } from "../errors.js";
import { type HttpAnswer, tooManyRequestsAnswer } from "./answers.js";
import {
  addressKey,
  checkCounter,
  checkRateLimit,
  type LimitCounter,
  type RateLimit,
} from "./limits.js";

/** One login (or step-up) attempt: who it is for and where it comes from. */
export interface LoginAttempt {
  /**
   * The account the attempt names (the user name or e-mail as typed, normalised by the app,
   * e.g. lower-cased), whether or not it exists.
   */
  account: string;
  /**
   * The client address as the gate derived it (`req.tessera.client.ip`), so proxies are read
   * the same way as everywhere else. An unknown address is limited per account only.
   */
  address: string | null | undefined;
}

/** Options of `createLoginThrottle`. */
export interface LoginThrottleOptions {
  /**
   * Failures allowed per (account, address) pair in a window before the pair is locked. Each
   * further lock of the same pair within `strikeMemorySeconds` lasts twice the one before.
   * @defaultValue `{ max: 5, windowSeconds: 900 }` (5 failures per 15 minutes)
   */
  perAccountAndAddress?: RateLimit;
  /**
   * Attempts (successful or not) allowed per address: caps one address guessing across many
   * accounts. An office behind one NAT shares it; raise it for such users, or `false`.
   * @defaultValue `{ max: 100, windowSeconds: 900 }` (100 attempts per 15 minutes)
   */
  perAddress?: RateLimit | false;
  /**
   * The longest a pair stays locked, however many strikes.
   * @defaultValue `86_400` (a day)
   */
  maxLockSeconds?: number;
  /**
   * How long a pair's strikes are remembered (the backoff doubles per strike within it).
   * @defaultValue `86_400` (a day)
   */
  strikeMemorySeconds?: number;
  /**
   * Where counts live: in memory by default (one server); `RedisLimitCounter` of
   * `@tessera/redis` to share them across servers.
   * @defaultValue `createMemoryCounter()`
   */
  counter?: LimitCounter;
  /**
   * Key prefix, to keep apart throttles sharing a counter (login and step-up, say).
   * @defaultValue `"login"`
   */
  name?: string;
}

/** The throttle `createLoginThrottle` builds. */
export interface LoginThrottle {
  /**
   * Before checking the password: counts the attempt against the address and resolves the
   * 429 answer (`{ error: "too-many-requests" }`, `Retry-After`) to send instead, or `null`
   * to go on. Costs no password hashing when it refuses.
   */
  check(attempt: LoginAttempt): Promise<HttpAnswer | null>;
  /** The password was wrong (or the account does not exist): counts a failure of the pair. */
  failed(attempt: LoginAttempt): Promise<void>;
  /** The password was right: forgets the pair's failures and strikes. */
  succeeded(attempt: LoginAttempt): Promise<void>;
}

function checkSeconds(name: string, value: unknown, fallback: number): number {
  const seconds = value ?? fallback;
  if (!Number.isInteger(seconds) || (seconds as number) < 1) {
    throw new TesseraConfigError(`${name} must be a whole number of seconds from 1`);
  }
  return seconds as number;
}

/**
 * Builds a login throttle. Put it on login and step-up routes: `check` before the password
 * check, then `failed` or `succeeded`. A refusal is the gate's 429 answer, written as is.
 *
 * @example
 * ```ts
 * const throttle = createLoginThrottle();
 * app.post("/login", async (req, res) => {
 *   const attempt = { account: req.body.user.toLowerCase(), address: req.tessera.client.ip };
 *   const refused = await throttle.check(attempt);
 *   if (refused) return res.status(refused.status).set(refused.headers).send(refused.body);
 *   if (!(await passwordMatches(req.body))) {
 *     await throttle.failed(attempt);
 *     return res.status(401).json({ error: "wrong-password" });
 *   }
 *   await throttle.succeeded(attempt);
 *   await req.tessera.login(userId);
 *   res.json({ ok: true });
 * });
 * ```
 * @throws TesseraConfigError for limits that are not whole positive numbers.
 */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("createLoginThrottle options must be an object");
  }
  const pair = checkRateLimit(
    "perAccountAndAddress",
    options.perAccountAndAddress ?? { max: 5, windowSeconds: 900 },
  );
  if (pair === false) throw new TesseraConfigError("perAccountAndAddress cannot be turned off");
  const perAddress = checkRateLimit(
    "perAddress",
    options.perAddress ?? { max: 100, windowSeconds: 900 },
  );
  const maxLockMs = checkSeconds("maxLockSeconds", options.maxLockSeconds, 86_400) * 1000;
  const strikeMemoryMs =
    checkSeconds("strikeMemorySeconds", options.strikeMemorySeconds, 86_400) * 1000;
  const counter = checkCounter(options.counter);
  const name = options.name ?? "login";
  if (typeof name !== "string" || !/^[\w.-]{1,32}$/.test(name)) {
    throw new TesseraConfigError("name must be 1 to 32 letters, digits, '_', '.' or '-'");
  }

  /** The pair's key: the account and the address's key (or "?" when unknown). */
  function pairKey(attempt: LoginAttempt): string {
    if (typeof attempt?.account !== "string") {
      throw new TesseraConfigError("a login attempt needs the account as a string");
    }
    return `${name}:pair:${addressKey(attempt.address) ?? "?"}:${attempt.account}`;
  }

  return {
    async check(attempt) {
      const key = pairKey(attempt);
      const address = addressKey(attempt.address);
      let waitMs = -1;
      if (perAddress !== false && address !== null) {
        const seen = await counter.hit(`${name}:addr:${address}`, perAddress.windowSeconds * 1000);
        if (seen.count > perAddress.max) waitMs = seen.resetInMs;
      }
      const lock = await counter.peek(`${key}:lock`);
      if (lock !== null && lock.resetInMs > waitMs) waitMs = lock.resetInMs;
      return waitMs < 0 ? null : tooManyRequestsAnswer(waitMs / 1000);
    },

    async failed(attempt) {
      const key = pairKey(attempt);
      const failures = await counter.hit(`${key}:fail`, pair.windowSeconds * 1000);
      if (failures.count < pair.max) return;
      // A strike: lock the pair for the window, doubled per earlier strike, and start counting
      // its failures afresh for when the lock ends.
      const strikes = await counter.hit(`${key}:strikes`, strikeMemoryMs);
      const lockMs = Math.min(maxLockMs, pair.windowSeconds * 1000 * 2 ** (strikes.count - 1));
      await counter.reset(`${key}:fail`);
      await counter.reset(`${key}:lock`);
      await counter.hit(`${key}:lock`, lockMs);
    },

    async succeeded(attempt) {
      const key = pairKey(attempt);
      await counter.reset(`${key}:fail`);
      await counter.reset(`${key}:strikes`);
      await counter.reset(`${key}:lock`);
    },
  };
}
