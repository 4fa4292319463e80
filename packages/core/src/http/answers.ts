/**
 * The answers every integration gives alike, as data: status, headers and the exact body bytes.
 * An integration writes them as they are (no framework JSON helper, which would add or change
 * headers), so Express, Hono, Fastify and Next.js answer byte for byte the same.
 */
import { isTesseraError } from "../errors.js";
import type { InvalidReason } from "../sessions.js";

/** Why an unsafe request was refused as cross-site (CSRF). */
export type CrossSiteReason = "cross-site" | "opaque-origin" | "missing-origin";

/** What a refusal says, as parsed JSON: the `body` of an `HttpAnswer`. */
export type Refusal =
  | { error: "unauthenticated"; reason?: InvalidReason }
  | { error: "not-fresh" }
  | { error: "cross-site-request"; reason: CrossSiteReason }
  | { error: "store-unavailable" }
  | { error: "too-many-requests" }
  | { error: "session-limit" };

/** One complete HTTP answer that refuses a request. */
export interface HttpAnswer {
  status: 401 | 403 | 429 | 503;
  /** Lower-case header names; integrations set each one as given. */
  headers: Readonly<Record<string, string>>;
  /** The JSON body, serialised once here. */
  body: string;
  /** The same body as data, for applications that answer refusals their own way. */
  refusal: Refusal;
}

/** Seconds a client is told to wait after a store outage (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 5;

const JSON_HEADERS = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
});

function answer(status: HttpAnswer["status"], refusal: Refusal, extra?: Record<string, string>) {
  const headers = extra ? Object.freeze({ ...JSON_HEADERS, ...extra }) : JSON_HEADERS;
  return Object.freeze({ status, headers, body: JSON.stringify(refusal), refusal });
}

const UNAUTHENTICATED = answer(401, { error: "unauthenticated" });
const UNAUTHENTICATED_BECAUSE = new Map<InvalidReason, HttpAnswer>();
const NOT_FRESH = answer(403, { error: "not-fresh" });
const CROSS_SITE = new Map<CrossSiteReason, HttpAnswer>();
const STORE_UNAVAILABLE = answer(
  503,
  { error: "store-unavailable" },
  { "retry-after": String(RETRY_AFTER_SECONDS) },
);

const SESSION_LIMIT = answer(403, { error: "session-limit" });

/**
 * 403 `{ error: "session-limit" }`: a login refused by its policy class's session limit
 * (`SessionLimitError`).
 */
export function sessionLimitAnswer(): HttpAnswer {
  return SESSION_LIMIT;
}

/** 401 `{ error: "unauthenticated", reason? }`: no session, or why the presented one was refused. */
export function unauthenticatedAnswer(reason?: InvalidReason | null): HttpAnswer {
  if (!reason) return UNAUTHENTICATED;
  let cached = UNAUTHENTICATED_BECAUSE.get(reason);
  if (!cached) {
    cached = answer(401, { error: "unauthenticated", reason });
    UNAUTHENTICATED_BECAUSE.set(reason, cached);
  }
  return cached;
}

/** 403 `{ error: "not-fresh" }`: a sensitive action needs a recent login or step-up. */
export function notFreshAnswer(): HttpAnswer {
  return NOT_FRESH;
}

/** 403 `{ error: "cross-site-request", reason }`: an unsafe request refused by the CSRF check. */
export function crossSiteAnswer(reason: CrossSiteReason): HttpAnswer {
  let cached = CROSS_SITE.get(reason);
  if (!cached) {
    cached = answer(403, { error: "cross-site-request", reason });
    CROSS_SITE.set(reason, cached);
  }
  return cached;
}

/**
 * 503 `{ error: "store-unavailable" }` with `Retry-After` and `Cache-Control: no-store`: the
 * session could not be checked or written. Never "logged out".
 */
export function storeUnavailableAnswer(): HttpAnswer {
  return STORE_UNAVAILABLE;
}

/**
 * 429 `{ error: "too-many-requests" }` with `Retry-After` (whole seconds, at least 1) and
 * `Cache-Control: no-store`: a built-in limit (token endpoint, DBSC refresh, login throttle).
 */
export function tooManyRequestsAnswer(retryAfterSeconds: number): HttpAnswer {
  const seconds = Number.isFinite(retryAfterSeconds)
    ? Math.max(1, Math.ceil(retryAfterSeconds))
    : 1;
  return answer(429, { error: "too-many-requests" }, { "retry-after": String(seconds) });
}

/**
 * The answer for an error thrown by Tessera during a request: 503 for a store outage
 * (`store-unavailable`) or a write that kept losing its race (`conflict`), 403
 * `{ error: "session-limit" }` for a login its class's session limit refused (`session-limit`),
 * else `null` (the application's own error: let it handle it). Recognised by `code`, never `instanceof`, so errors
 * from another copy of `@tessera/core` count too. The body never says what failed.
 *
 * @example
 * ```ts
 * const answer = answerForError(error);
 * if (answer) return new Response(answer.body, answer);
 * throw error;
 * ```
 */
export function answerForError(error: unknown): HttpAnswer | null {
  if (isTesseraError(error, "store-unavailable") || isTesseraError(error, "conflict")) {
    return STORE_UNAVAILABLE;
  }
  return isTesseraError(error, "session-limit") ? SESSION_LIMIT : null;
}
