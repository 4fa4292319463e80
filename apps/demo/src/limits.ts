/**
 * What keeps password guessing slow and the server alive: attempt limits per client IP and per
 * account (rate-limiter-flexible, in memory: one demo process), and a bound on concurrent scrypt
 * hashing (each hash costs about 0.5 s of CPU and 128 MiB), so a burst is refused at once instead
 * of queueing the machine to death.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** Attempt budgets; every window is `windowSeconds`. */
export interface LimitSettings {
  /** Login and step-up attempts from one IP, successful or not. */
  attemptsPerIp: number;
  /** Failed logins or step-ups against one account before it is refused for the window. */
  failuresPerAccount: number;
  /** Sign-ups from one IP. */
  signupsPerIp: number;
  windowSeconds: number;
  /** scrypt hashes running at once. */
  hashConcurrency: number;
  /** Requests waiting for a hashing slot; one more is answered 503 at once. */
  hashQueue: number;
}

/** The request was refused before any hashing: answer 429 with `Retry-After`. */
export class TooManyAttempts extends Error {
  override name = "TooManyAttempts";
  constructor(readonly retryAfterSeconds: number) {
    super("too many attempts");
  }
}

/** Every hashing slot and queue place is taken: answer 503 with `Retry-After`. */
export class HashingBusy extends Error {
  override name = "HashingBusy";
}

function refusal(error: unknown): TooManyAttempts {
  if (error instanceof RateLimiterRes) {
    return new TooManyAttempts(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
  }
  throw error;
}

/** At most `slots` tasks at once, `queue` more waiting; beyond that, `HashingBusy` at once. */
export function createHashGate(slots: number, queue: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= slots) {
      if (waiting.length >= queue) throw new HashingBusy("password hashing is busy");
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Runs a hashing task within the gate. */
export type HashGate = ReturnType<typeof createHashGate>;

/** The attempt limits of the login, sign-up and step-up forms. */
export function createAttemptLimits(settings: LimitSettings) {
  const duration = settings.windowSeconds;
  const perIp = new RateLimiterMemory({
    keyPrefix: "attempts-ip",
    points: settings.attemptsPerIp,
    duration,
  });
  const perAccount = new RateLimiterMemory({
    keyPrefix: "failures-account",
    points: settings.failuresPerAccount,
    duration,
  });
  const signups = new RateLimiterMemory({
    keyPrefix: "signups-ip",
    points: settings.signupsPerIp,
    duration,
  });

  return {
    /**
     * Before checking a password for `account` from `ip`: counts the attempt against the IP and
     * throws `TooManyAttempts` if the IP or the account is over its budget. Costs no hashing.
     */
    async beforePassword(ip: string, account: string): Promise<void> {
      await perIp.consume(ip).catch((error: unknown) => {
        throw refusal(error);
      });
      const failures = await perAccount.get(account);
      if (failures && failures.remainingPoints <= 0) {
        throw new TooManyAttempts(Math.max(1, Math.ceil(failures.msBeforeNext / 1000)));
      }
    },
    /** A wrong password for `account`. */
    async failed(account: string): Promise<void> {
      await perAccount.consume(account).catch(() => {});
    },
    /** A right password: the account's failures are forgotten. */
    async succeeded(account: string): Promise<void> {
      await perAccount.delete(account);
    },
    /** Before a sign-up from `ip`: throws `TooManyAttempts` over the budget. */
    async beforeSignup(ip: string): Promise<void> {
      await signups.consume(ip).catch((error: unknown) => {
        throw refusal(error);
      });
    },
  };
}

/** The attempt limits. */
export type AttemptLimits = ReturnType<typeof createAttemptLimits>;
