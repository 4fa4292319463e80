/**
 * What keeps password guessing slow and the server alive: Tessera's login throttle (failures per
 * account and address with backoff, attempts per address) and a sign-up limit per address, both
 * from `@tessera/core`, and a bound on concurrent scrypt hashing (each hash costs about 0.5 s of
 * CPU and 128 MiB) that is fair per address, so a burst is refused at once instead of queueing
 * the machine to death, and one address cannot take every place.
 */
import {
  createLoginThrottle,
  createMemoryCounter,
  type HttpAnswer,
  type LoginAttempt,
  takeLimits,
} from "@tessera/core/http";

/** Attempt budgets; every window is `windowSeconds`. */
export interface LimitSettings {
  /** Login and step-up attempts from one address, successful or not. */
  attemptsPerIp: number;
  /**
   * Failed logins or step-ups for one account from one address before that pair is locked
   * (the lock doubles at each further strike). Another address is never locked by them.
   */
  failuresPerAccount: number;
  /** Sign-ups from one address. */
  signupsPerIp: number;
  windowSeconds: number;
  /** scrypt hashes running at once. */
  hashConcurrency: number;
  /** Requests waiting for a hashing slot; one more is answered 503 at once. */
  hashQueue: number;
  /** Hashing places (running or waiting) one address may hold at once. */
  hashPerAddress: number;
}

/** The request was refused before any hashing: answer 429 with `Retry-After`. */
export class TooManyAttempts extends Error {
  override name = "TooManyAttempts";
  constructor(readonly retryAfterSeconds: number) {
    super("too many attempts");
  }
}

/** Every hashing place, or every place this address may hold, is taken: answer 503. */
export class HashingBusy extends Error {
  override name = "HashingBusy";
}

function refused(answer: HttpAnswer | null): void {
  if (answer) throw new TooManyAttempts(Number(answer.headers["retry-after"] ?? 1));
}

/**
 * At most `slots` tasks at once and `queue` more waiting, of which one address holds at most
 * `perAddress`; beyond that, `HashingBusy` at once. Without the per-address bound, seven
 * concurrent logins from one address would fill every place and refuse everybody else.
 */
export function createHashGate(slots: number, queue: number, perAddress = slots) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const held = new Map<string, number>();
  return async function run<T>(task: () => Promise<T>, address?: string | null): Promise<T> {
    const key = address ?? "";
    const mine = held.get(key) ?? 0;
    if (address && mine >= perAddress) throw new HashingBusy("this address holds its share");
    if (running >= slots && waiting.length >= queue) {
      throw new HashingBusy("password hashing is busy");
    }
    held.set(key, mine + 1);
    try {
      if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
      else running++;
      try {
        return await task();
      } finally {
        // Hand the slot straight to the next waiter, or free it.
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    } finally {
      const left = (held.get(key) ?? 1) - 1;
      if (left > 0) held.set(key, left);
      else held.delete(key);
    }
  };
}

/** Runs a hashing task within the gate, counted against `address`. */
export type HashGate = ReturnType<typeof createHashGate>;

/** The attempt limits of the login, sign-up and step-up forms. */
export function createAttemptLimits(settings: LimitSettings) {
  const windowSeconds = settings.windowSeconds;
  const throttle = createLoginThrottle({
    perAccountAndAddress: { max: settings.failuresPerAccount, windowSeconds },
    perAddress: { max: settings.attemptsPerIp, windowSeconds },
  });
  const counter = createMemoryCounter();
  const signups = { max: settings.signupsPerIp, windowSeconds };
  const attempt = (address: string | undefined, account: string): LoginAttempt => ({
    account,
    address,
  });

  return {
    /**
     * Before checking a password for `account` from `address`: counts the attempt and throws
     * `TooManyAttempts` if the address or the (account, address) pair is over its budget.
     */
    async beforePassword(address: string | undefined, account: string): Promise<void> {
      refused(await throttle.check(attempt(address, account)));
    },
    /** A wrong password for `account` from `address`. */
    async failed(address: string | undefined, account: string): Promise<void> {
      await throttle.failed(attempt(address, account));
    },
    /** A right password: the pair's failures are forgotten. */
    async succeeded(address: string | undefined, account: string): Promise<void> {
      await throttle.succeeded(attempt(address, account));
    },
    /** Before a sign-up from `address`: throws `TooManyAttempts` over the budget. */
    async beforeSignup(address: string | undefined): Promise<void> {
      if (!address) return;
      const wait = await takeLimits(counter, [[`signup:${address}`, signups]]);
      if (wait !== null) throw new TooManyAttempts(wait);
    },
  };
}

/** The attempt limits. */
export type AttemptLimits = ReturnType<typeof createAttemptLimits>;
