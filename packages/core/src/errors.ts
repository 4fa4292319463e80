/** Stable codes of every error Tessera throws. */
export type TesseraErrorCode =
  | "config"
  | "store-unavailable"
  | "conflict"
  | "invalid-argument"
  | "session-limit"
  | "impersonation-refused";

/**
 * Base class of every error thrown through Tessera's public API. Branch on `code`, not on
 * the message. The original error, if any, is kept as `cause`.
 */
export class TesseraError extends Error {
  readonly code: TesseraErrorCode;

  constructor(code: TesseraErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TesseraError";
    this.code = code;
  }
}

/** Invalid options given to `createSessions` (or to a store/integration factory). */
export class TesseraConfigError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("config", message, options);
    this.name = "TesseraConfigError";
  }
}

/**
 * The session store failed, timed out or answered nonsense. Never means "no session":
 * integrations answer 503, not 401.
 */
export class StoreUnavailableError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("store-unavailable", message, options);
    this.name = "StoreUnavailableError";
  }
}

/** A write kept losing its compare-and-swap race (extreme contention on one session). */
export class SessionConflictError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("conflict", message, options);
    this.name = "SessionConflictError";
  }
}

/** An argument to a public method has the wrong type or shape (e.g. an empty user id). */
export class InvalidArgumentError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid-argument", message, options);
    this.name = "InvalidArgumentError";
  }
}

/**
 * A login refused by its policy class's session limit (`limit: { perUser, when: "refuse" }`), or
 * a login of an `"evict-oldest"` class that parallel newer logins evicted before it returned.
 * Its own session was ended; nothing else changed. Integrations answer 403
 * `{ error: "session-limit" }`.
 */
export class SessionLimitError extends TesseraError {
  /** The policy class whose limit was reached. */
  readonly policy: string;
  /** Its `perUser` limit. */
  readonly limit: number;

  constructor(policy: string, limit: number, options?: { cause?: unknown }) {
    super(
      "session-limit",
      `the user already has ${limit} session(s) of policy class "${policy}"`,
      options,
    );
    this.name = "SessionLimitError";
    this.policy = policy;
    this.limit = limit;
  }
}

/** Why `impersonate` refused. */
export type ImpersonationRefusal =
  /** The admin's session is itself an impersonation: no impersonating from one. */
  | "nested"
  /** `impersonation.canImpersonate` is not configured or said no for the admin. */
  | "not-allowed"
  /** The target may impersonate too, and `allowAdminTargets` is off. */
  | "admin-target"
  /** The admin named themself. */
  | "self"
  /** The admin's session is gone or expired. */
  | "admin-session-ended";

/** `sessions.impersonate` refused; `reason` says why. No session was created. */
export class ImpersonationRefusedError extends TesseraError {
  readonly reason: ImpersonationRefusal;

  constructor(reason: ImpersonationRefusal, options?: { cause?: unknown }) {
    super("impersonation-refused", `impersonation refused: ${reason}`, options);
    this.name = "ImpersonationRefusedError";
    this.reason = reason;
  }
}

const CODES: ReadonlySet<string> = new Set<TesseraErrorCode>([
  "config",
  "store-unavailable",
  "conflict",
  "invalid-argument",
  "session-limit",
  "impersonation-refused",
]);

/**
 * Whether `error` is a Tessera error (of `code`, when given). Decided by `name` and `code`, not
 * `instanceof`, so an error thrown by another copy of `@tessera/core` (ESM beside CommonJS, two
 * installed versions) is recognised too.
 *
 * @example
 * ```ts
 * if (isTesseraError(error, "store-unavailable")) return reply.code(503).send();
 * ```
 */
export function isTesseraError(error: unknown, code?: TesseraErrorCode): error is TesseraError {
  if (typeof error !== "object" || error === null) return false;
  const { name, code: actual } = error as { name?: unknown; code?: unknown };
  if (
    typeof name !== "string" ||
    !/^(Tessera|Store|Session|InvalidArgument|Impersonation)\w*Error$/.test(name)
  ) {
    return false;
  }
  if (typeof actual !== "string" || !CODES.has(actual)) return false;
  return code === undefined || actual === code;
}
