/**
 * CSRF defence by request origin: browsers say where an unsafe request comes from
 * (`Sec-Fetch-Site`, `Origin`), and an unsafe request from another site is refused before any
 * session is read. Non-browser clients send neither header and carry no victim's cookies, so they
 * pass, unless the request carries the session cookie: then it is a browser (or acts as one)
 * that did not say where it comes from, and it is refused.
 */
import { TesseraConfigError } from "../errors.js";
import type { CrossSiteReason } from "./answers.js";

/** What the origin check reads from a request. */
export interface OriginFacts {
  /** HTTP method, any case. */
  method: string;
  /** The `Origin` header. */
  origin: string | null | undefined;
  /** The `Sec-Fetch-Site` header. */
  secFetchSite: string | null | undefined;
  /**
   * The origin the request was sent to (`https://app.example.com:8443`): scheme and host of the
   * server as the client addressed it. Called only when the answer depends on it.
   */
  ownOrigin: () => string | undefined;
  /** Whether the request carries the session cookie (ambient credentials). */
  hasSessionCookie: boolean;
}

/** Decides whether a request may proceed: `null`, or why it is refused. */
export type OriginCheck = (request: OriginFacts) => CrossSiteReason | null;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** The serialised origin of a URL-ish string (`https://a.test:443` is `https://a.test`), or null. */
export function normaliseOrigin(text: string): string | null {
  try {
    const origin = new URL(text).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

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
  const origin = normaliseOrigin(entry);
  if (origin === null || `${origin}/` !== new URL(entry).href.replace(/\/?$/, "/")) {
    throw new TesseraConfigError(
      `allowedOrigins: "${entry}" must be a bare origin like https://app.example.com`,
    );
  }
  return origin;
}

/** How the CSRF check treats `allowedOrigins`. */
export interface OriginCheckOptions {
  /**
   * The session cookie is `Secure`: a bare host in `allowedOrigins` then matches only `https:`
   * origins. A page of that host served over plain HTTP (which anyone on the network path can
   * write) must not get to send unsafe requests the secure cookie authenticates.
   * @defaultValue `true`
   */
  secureCookie?: boolean;
}

/**
 * Builds the CSRF check. Safe methods always pass. An unsafe request passes when the browser says
 * it is same-origin (`Sec-Fetch-Site: same-origin` or `none`), when its `Origin` equals the
 * request's own origin (scheme, host and port), or when its origin is in `allowedOrigins` (full
 * origins like `https://admin.example.com`, or bare hosts: `https:` only with a `Secure` session
 * cookie, any scheme without one, as in development over plain HTTP). A request with neither
 * header passes only without the session cookie (a bearer or anonymous API client).
 *
 * @throws TesseraConfigError for an entry of `allowedOrigins` that is not an origin or a host.
 */
export function createOriginCheck(
  allowedOrigins: readonly string[] = [],
  options: OriginCheckOptions = {},
): OriginCheck {
  if (!Array.isArray(allowedOrigins)) {
    throw new TesseraConfigError("allowedOrigins must be an array of origins or hosts");
  }
  const allowed = new Set(allowedOrigins.map(normaliseAllowed));
  const httpsOnly = options.secureCookie !== false;

  const isAllowed = (origin: string): boolean => {
    if (allowed.size === 0) return false;
    if (allowed.has(origin)) return true;
    try {
      const url = new URL(origin);
      if (httpsOnly && url.protocol !== "https:") return false;
      return allowed.has(url.host);
    } catch {
      return false;
    }
  };

  return function checkOrigin(request) {
    if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
    const site = request.secFetchSite ? request.secFetchSite.toLowerCase() : null;
    if (site === "same-origin" || site === "none") return null;
    const presented = request.origin ? request.origin.toLowerCase() : null;
    if (presented === null) {
      if (site !== null) return "cross-site";
      return request.hasSessionCookie ? "missing-origin" : null;
    }
    if (presented === "null") return "opaque-origin"; // sandboxed frames, file:, privacy redirects
    const origin = normaliseOrigin(presented);
    if (origin === null) return "cross-site";
    if (isAllowed(origin)) return null;
    if (site !== null) return "cross-site"; // the browser itself says same-site or cross-site
    const own = request.ownOrigin();
    return own !== undefined && normaliseOrigin(own) === origin ? null : "cross-site";
  };
}
