/**
 * Set-Cookie helpers with secure defaults: `__Host-session; HttpOnly; Secure; SameSite=Lax;
 * Path=/`. The `__Host-` prefix makes the browser refuse the cookie unless it is Secure,
 * host-only and for `/`, which stops a sibling subdomain from planting a session cookie.
 */
import { TesseraConfigError } from "./errors.js";

/** Cookie settings of `createSessions`. */
export interface CookieOptions {
  /**
   * Cookie name.
   * @defaultValue `__Host-session` when secure, `session` otherwise, `__Secure-session` with a
   * `domain`
   */
  name?: string;
  /**
   * Send only over HTTPS; `false` for plain-http development on a host other than localhost.
   * @defaultValue `true`
   */
  secure?: boolean;
  /**
   * The `SameSite` attribute; `"none"` requires `secure`.
   * @defaultValue `"lax"`
   */
  sameSite?: "lax" | "strict" | "none";
  /**
   * The `Path` attribute; a `__Host-` cookie must keep `/`.
   * @defaultValue `/`
   */
  path?: string;
  /** Share the cookie with subdomains. Off by default (host-only is safer). */
  domain?: string;
  /**
   * `false` leaves `Max-Age` out, so the cookie ends when the browser closes (OWASP's advice for
   * shared machines); the session's own timeouts still apply. Default `true`: `Max-Age` is the
   * time to the session's expiry.
   */
  persistent?: boolean;
}

/** The attributes of a cookie to set, as values (the edge serialises them). */
export interface CookieAttributes {
  /** Seconds until the browser drops it; absent: a browser-session cookie; 0: delete it now. */
  maxAge?: number;
  path: string;
  domain?: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
}

/**
 * A cookie to set on a response, as a value: integrations hand it to their framework's cookie
 * API, or write `serializeCookie(cookie)` as a `Set-Cookie` header. Nothing parses it back.
 */
export interface CookieValue {
  name: string;
  value: string;
  attributes: CookieAttributes;
}

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;

/**
 * The `Set-Cookie` header value of a cookie: `name=value; Max-Age=...; Path=...; Domain=...;
 * HttpOnly; Secure; SameSite=...`, in that order, so every integration writes the same bytes.
 */
export function serializeCookie(cookie: CookieValue): string {
  const a = cookie.attributes;
  return (
    `${cookie.name}=${cookie.value}` +
    (a.maxAge === undefined ? "" : `; Max-Age=${a.maxAge}`) +
    `; Path=${a.path}` +
    (a.domain ? `; Domain=${a.domain}` : "") +
    (a.httpOnly ? "; HttpOnly" : "") +
    (a.secure ? "; Secure" : "") +
    `; SameSite=${SAME_SITE[a.sameSite]}`
  );
}

/** Per-cookie options of `issue` and `serialize`. */
export interface IssueOptions {
  /**
   * Whether this cookie carries `Max-Age` (the `persistent` of the session's policy class).
   * @defaultValue the `cookie.persistent` option
   */
  persistent?: boolean;
}

/** Cookie helpers bound to one configuration (`sessions.cookie`). */
export interface SessionCookie {
  /** The cookie name in use. */
  readonly name: string;
  /** Whether cookies are persistent (`Max-Age` set) or end with the browser. */
  readonly persistent: boolean;
  /**
   * The session cookie carrying `token`, as a value. `expiresAt` (the session's `expiresAt`)
   * sets `maxAge`; without it, the idle timeout. With `persistent: false` (the cookie option, or
   * `options.persistent`, which wins: the session's policy class, `sessions.policyOf(session)`),
   * no `maxAge`.
   */
  issue(token: string, expiresAt?: Date | number, options?: IssueOptions): CookieValue;
  /** The cookie value that deletes the session cookie (`maxAge: 0`, empty value). */
  clear(): CookieValue;
  /**
   * A `Set-Cookie` value carrying `token`. `expiresAt` (the session's `expiresAt`) sets
   * `Max-Age`; without it, `Max-Age` is the idle timeout. With `persistent: false`, no `Max-Age`.
   */
  serialize(token: string, expiresAt?: Date | number, options?: IssueOptions): string;
  /** A `Set-Cookie` value that deletes the cookie (logout, invalid session). */
  blank(): string;
  /** The session cookie's value from a `Cookie` request header, or `null`. */
  parse(cookieHeader: string | null | undefined): string | null;
}

const NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_COOKIE_HEADER = 16 * 1024;

/** Builds the cookie helpers; throws `TesseraConfigError` for unsafe or impossible settings. */
export function createSessionCookie(
  options: CookieOptions,
  idleTimeoutSeconds: number,
  now: () => number,
): SessionCookie {
  const secure = options.secure ?? true;
  const sameSite = options.sameSite ?? "lax";
  const path = options.path ?? "/";
  const domain = options.domain;
  const persistent = options.persistent ?? true;
  const name =
    options.name ?? (!secure ? "session" : domain ? "__Secure-session" : "__Host-session");

  if (!NAME_PATTERN.test(name))
    throw new TesseraConfigError(`cookie.name "${name}" is not a valid cookie name`);
  if (!["lax", "strict", "none"].includes(sameSite)) {
    throw new TesseraConfigError(`cookie.sameSite must be "lax", "strict" or "none"`);
  }
  if (sameSite === "none" && !secure) {
    throw new TesseraConfigError(
      `cookie.sameSite "none" requires cookie.secure (browsers drop it otherwise)`,
    );
  }
  if (name.startsWith("__Host-") && (!secure || path !== "/" || domain)) {
    throw new TesseraConfigError(`a "__Host-" cookie must be secure, with path "/" and no domain`);
  }
  if (name.startsWith("__Secure-") && !secure) {
    throw new TesseraConfigError(`a "__Secure-" cookie must be secure`);
  }
  if (!path.startsWith("/") || /[;\r\n]/.test(path))
    throw new TesseraConfigError(`cookie.path must start with "/"`);
  if (typeof persistent !== "boolean")
    throw new TesseraConfigError("cookie.persistent must be a boolean");
  if (domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(domain)) {
    throw new TesseraConfigError(`cookie.domain "${domain}" is not a host name`);
  }

  const base: CookieAttributes = { path, httpOnly: true, secure, sameSite };
  if (domain) base.domain = domain;
  const cleared: CookieValue = { name, value: "", attributes: { ...base, maxAge: 0 } };

  function issue(token: string, expiresAt?: Date | number, options?: IssueOptions): CookieValue {
    if (!(options?.persistent ?? persistent)) return { name, value: token, attributes: base };
    const until = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt;
    const maxAge =
      until === undefined ? idleTimeoutSeconds : Math.max(0, Math.floor((until - now()) / 1000));
    return { name, value: token, attributes: { ...base, maxAge } };
  }

  return {
    name,
    persistent,
    issue,
    clear: () => ({ name, value: "", attributes: { ...cleared.attributes } }),
    serialize: (token, expiresAt, options) => serializeCookie(issue(token, expiresAt, options)),
    blank: () => serializeCookie(cleared),
    parse(cookieHeader) {
      return cookieValues(cookieHeader, name, 1)[0] ?? null;
    },
  };
}

/**
 * Every value of cookie `name` in a `Cookie` request header, in header order (at most `limit`).
 * A request may carry several: a sibling subdomain can plant a cookie of the same name
 * ("cookie tossing"), and the browser sends both.
 */
export function cookieValues(
  cookieHeader: string | null | undefined,
  name: string,
  limit = 4,
): string[] {
  const values: string[] = [];
  if (typeof cookieHeader !== "string" || cookieHeader.length > MAX_COOKIE_HEADER) return values;
  let start = 0;
  while (start < cookieHeader.length && values.length < limit) {
    let end = cookieHeader.indexOf(";", start);
    if (end === -1) end = cookieHeader.length;
    const eq = cookieHeader.indexOf("=", start);
    if (eq !== -1 && eq < end && cookieHeader.slice(start, eq).trim() === name) {
      let value = cookieHeader.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
        value = value.slice(1, -1);
      values.push(value);
    }
    start = end + 1;
  }
  return values;
}

const BEARER_PATTERN = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

/**
 * The token of an `Authorization: Bearer <token>` header, or `null`. Oversized headers are
 * ignored without running a pattern over them.
 */
export function parseBearer(authorization: string | null | undefined): string | null {
  if (typeof authorization !== "string" || authorization.length > 512) return null;
  const match = BEARER_PATTERN.exec(authorization);
  return match ? match[1]! : null;
}
