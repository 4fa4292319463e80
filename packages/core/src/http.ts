/**
 * The framework-neutral half of every integration: which requests to refuse as cross-site
 * (CSRF), and what one request's session check answers and writes back. Express, Hono and
 * Next.js adapters only translate their request and response objects to and from these.
 */
import type { ClientInfo } from "./binding.js";
import { TesseraConfigError } from "./errors.js";
import type { Session } from "./session.js";
import type { InvalidReason, Sessions } from "./sessions.js";

/**
 * Response header carrying a rotated token to bearer clients (mobile, CLI), which have no
 * cookie jar: when it is present, the client must use its value from the next request on.
 */
export const ROTATED_TOKEN_HEADER = "tessera-token";

/** The request headers the origin check reads (lower-cased names, `null` when absent). */
export interface OriginFacts {
  /** HTTP method, any case. */
  method: string;
  /** The `Origin` header. */
  origin: string | null | undefined;
  /** The `Sec-Fetch-Site` header. */
  secFetchSite: string | null | undefined;
  /**
   * The host the request was sent to, with port if any: the `Host` header, or the
   * `X-Forwarded-Host` set by a proxy the application trusts.
   */
  host: string | null | undefined;
}

/** Why a request was refused as cross-site; `null` from the check means accepted. */
export type CrossSiteRefusal = "cross-site" | "opaque-origin";

/** Decides whether a state-changing request may proceed; see `createOriginCheck`. */
export type OriginCheck = (request: OriginFacts) => CrossSiteRefusal | null;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

function normaliseAllowed(entry: unknown): string {
  if (typeof entry !== "string" || entry.length === 0 || entry.length > 255) {
    throw new TesseraConfigError(`allowedOrigins entries must be origins or hosts, got ${entry}`);
  }
  if (!entry.includes("://")) {
    if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(entry)) {
      throw new TesseraConfigError(`allowedOrigins: "${entry}" is not a host name`);
    }
    return entry.toLowerCase();
  }
  let url: URL;
  try {
    url = new URL(entry);
  } catch (cause) {
    throw new TesseraConfigError(`allowedOrigins: "${entry}" is not an origin`, { cause });
  }
  if (url.origin === "null" || `${url.origin}/` !== url.href.replace(/\/?$/, "/")) {
    throw new TesseraConfigError(
      `allowedOrigins: "${entry}" must be a bare origin like https://app.example.com`,
    );
  }
  return url.origin;
}

/**
 * Builds the CSRF check the integrations run before anything else. Safe methods (GET, HEAD,
 * OPTIONS) always pass. An unsafe request passes when the browser says it is same-origin
 * (`Sec-Fetch-Site: same-origin` or `none`), when its `Origin` names the host it was sent to,
 * or when its origin is in `allowedOrigins` (full origins like `https://app.example.com`, or
 * bare hosts). A request with neither header comes from a non-browser client, which holds no
 * ambient cookies of a victim, and passes. Throws `TesseraConfigError` for a bad allowlist.
 */
export function createOriginCheck(allowedOrigins: readonly string[] = []): OriginCheck {
  if (!Array.isArray(allowedOrigins)) {
    throw new TesseraConfigError("allowedOrigins must be an array of origins or hosts");
  }
  const allowed = new Set(allowedOrigins.map(normaliseAllowed));

  const isAllowed = (origin: string): boolean => {
    if (allowed.size === 0) return false;
    if (allowed.has(origin)) return true;
    try {
      return allowed.has(new URL(origin).host);
    } catch {
      return false;
    }
  };

  return function checkOrigin(request) {
    if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
    const site = request.secFetchSite?.toLowerCase() ?? null;
    if (site === "same-origin" || site === "none") return null;
    const origin = request.origin?.toLowerCase() ?? null;
    // Browsers send Origin on every unsafe request; without it (and without Sec-Fetch-Site)
    // the caller is not a browser and carries no victim's cookies.
    if (origin === null) return site === null ? null : "cross-site";
    if (origin === "null") return "opaque-origin"; // sandboxed frames, file:, privacy redirects
    if (isAllowed(origin)) return null;
    if (site !== null) return "cross-site"; // the browser itself says same-site or cross-site
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return "cross-site";
    }
    return request.host && host === request.host.toLowerCase() ? null : "cross-site";
  };
}

/** What one request's session check found, and what the response must carry. */
export interface RequestSession {
  /** The valid session, or `null` (no token, or a refused one: see `reason`). */
  session: Session | null;
  /** Where the token came from, `null` when the request carried none. */
  source: "cookie" | "bearer" | null;
  /** The token that identifies the session from now on (rotated if it rotated), else `null`. */
  token: string | null;
  /** Why a presented token was refused; `null` when valid or when there was no token. */
  reason: InvalidReason | null;
  /**
   * `Set-Cookie` value to append to the response: the rotated cookie, or a blank one that
   * clears a dead session cookie. `null` when nothing changes.
   */
  setCookie: string | null;
  /** For bearer clients: the rotated token, to send in the `tessera-token` response header. */
  rotatedToken: string | null;
}

/** The request headers the session check reads. */
export interface SessionFacts {
  cookie: string | null | undefined;
  authorization: string | null | undefined;
}

/**
 * Validates the request's session once: reads the token from the cookie (else the bearer
 * header), validates it for `client`, and says which cookie or header the response needs.
 * Store failures reject with `StoreUnavailableError` (answer 503, never "logged out").
 */
export async function readRequestSession(
  sessions: Sessions,
  request: SessionFacts,
  client: ClientInfo,
): Promise<RequestSession> {
  const found = sessions.tokenFrom(request);
  if (!found) {
    return {
      session: null,
      source: null,
      token: null,
      reason: null,
      setCookie: null,
      rotatedToken: null,
    };
  }
  const result = await sessions.validate(found.token, client);
  const fromCookie = found.source === "cookie";
  if (!result.ok) {
    return {
      session: null,
      source: found.source,
      token: null,
      reason: result.reason,
      // A cookie that names no live session is cleared, so the browser stops sending it.
      setCookie: fromCookie ? sessions.cookie.blank() : null,
      rotatedToken: null,
    };
  }
  const renewed = result.token;
  return {
    session: result.session,
    source: found.source,
    token: renewed ?? found.token,
    reason: null,
    setCookie:
      renewed !== null && fromCookie
        ? sessions.cookie.serialize(renewed, result.session.expiresAt)
        : null,
    rotatedToken: renewed !== null && !fromCookie ? renewed : null,
  };
}

/**
 * Whether `value` is the session manager `createSessions` returns, checked by shape (not
 * `instanceof`, so an ESM and a CommonJS copy of core agree). Integrations call it on their
 * factory's argument to fail at start-up instead of on the first request.
 */
export function isSessions(value: unknown): value is Sessions {
  const candidate = value as Partial<Sessions> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.validate === "function" &&
    typeof candidate.create === "function" &&
    typeof candidate.tokenFrom === "function" &&
    typeof candidate.cookie?.serialize === "function"
  );
}

/** The answer to a request that needs a session it does not have, or a fresher one. */
export interface GuardRefusal {
  status: 401 | 403;
  body: { error: "unauthenticated" | "not-fresh"; reason?: InvalidReason };
}

/**
 * The guard behind `requireSession` / `requireFresh`: `null` to proceed, or the status and
 * JSON body to answer with (401 without a valid session, 403 when not fresh enough).
 */
export function guardSession(
  found: Pick<RequestSession, "session" | "reason">,
  needFresh: boolean,
): GuardRefusal | null {
  if (!found.session) {
    return {
      status: 401,
      body: found.reason
        ? { error: "unauthenticated", reason: found.reason }
        : { error: "unauthenticated" },
    };
  }
  if (needFresh && !found.session.fresh) return { status: 403, body: { error: "not-fresh" } };
  return null;
}

/** The answer to an unsafe request refused by the origin check (CSRF). */
export interface CrossSiteAnswer {
  status: 403;
  body: { error: "cross-site-request"; reason: CrossSiteRefusal };
}

/** The status and JSON body every integration answers a refused cross-site request with. */
export function crossSiteAnswer(refusal: CrossSiteRefusal): CrossSiteAnswer {
  return { status: 403, body: { error: "cross-site-request", reason: refusal } };
}

/** The answer to a request whose session could not be checked or written: the store failed. */
export interface StoreFailureAnswer {
  status: 503;
  body: { error: "store-unavailable" };
}

/**
 * `{ status: 503, body }` when `error` is a store outage (`StoreUnavailableError`) or a write
 * that kept losing its race (`SessionConflictError`), else `null` (some other error: let the
 * application handle it). Decided by `name` and `code`, not `instanceof`, so errors thrown by
 * another copy of `@tessera/core` (ESM next to CJS, two installed versions) are recognised too.
 * The body says nothing of the cause: outage details are for logs, not for clients.
 */
export function storeFailureAnswer(error: unknown): StoreFailureAnswer | null {
  if (typeof error !== "object" || error === null) return null;
  const { name, code } = error as { name?: unknown; code?: unknown };
  const isStoreFailure =
    (name === "StoreUnavailableError" && code === "store-unavailable") ||
    (name === "SessionConflictError" && code === "conflict");
  return isStoreFailure ? { status: 503, body: { error: "store-unavailable" } } : null;
}
