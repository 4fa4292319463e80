/**
 * The request's facts as the gate reads them: headers (a reader or Node's header object), the
 * socket address, the client a session is bound to, and the app's own origin for the CSRF rule.
 * Proxy headers are read only when the application says how many proxies it trusts.
 */
import type { ClientInfo } from "../binding.js";
import { cookieValues, parseBearer } from "../cookie.js";
import type { Sessions } from "../sessions.js";
import { isToken, parseToken } from "../token.js";
import { clientAddress, firstForwarded } from "./client-address.js";

/** Request headers as Node.js keeps them: lower-case names, repeated headers as arrays. */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What an integration tells the gate about one request. Give the headers either as a reader
 * (`header`, for a Fetch `Headers`) or, on Node.js servers, as the request's own header object
 * (`headers`), which spares a closure per request.
 */
export interface RequestFacts {
  /** HTTP method. */
  method: string;
  /** Reads a request header by lower-case name (several values joined by `, `). */
  header?: ((name: string) => string | null | undefined) | undefined;
  /** The request's headers as Node.js's `IncomingMessage.headers` holds them. */
  headers?: HeaderRecord | undefined;
  /** The peer address of the connection (socket), if the framework exposes it. */
  remoteAddress?: string | null | undefined;
  /**
   * Whether the connection itself is TLS (may be a getter: read only when needed). Never derive
   * it from a request header such as `X-Forwarded-Proto` (or a URL built from one): the gate
   * reads proxy headers itself, and only with `trustedProxies`.
   */
  secure?: boolean | undefined;
  /** Application device id to bind the session to, if any. */
  deviceId?: string | null | undefined;
  /** The request path without the query (`/tessera/dbsc/refresh`): needed for `dbsc` routes. */
  path?: string | null | undefined;
}

/**
 * Well-formed cookies of the session's name tried per request (cookie tossing), beyond which
 * none are. Only well-formed tokens count toward it: junk planted from a sibling domain costs
 * nothing to skip and must not push the real cookie out of the candidates.
 */
export const MAX_COOKIE_CANDIDATES = 4;

/** Cookies of the session's name read from one header at most (the header is size-capped too). */
const MAX_COOKIES_READ = 64;

/** The cookies of the session's name a request carries: the ones worth a store read, and all. */
export interface SessionCookies {
  /** Well-formed tokens, in header order, each once, at most `MAX_COOKIE_CANDIDATES`. */
  candidates: string[];
  /** How many cookies of the name the request carried, well-formed or not. */
  presented: number;
}

/**
 * Reads the session cookies of a `Cookie` header for the gate. Several cookies of one name mean
 * a stale duplicate (another `Path` or `Domain`) or cookie tossing: a sibling domain planted its
 * own. Only well-formed tokens become candidates, so planted junk cannot hide the real one.
 */
export function sessionCookies(header: string | null | undefined, name: string): SessionCookies {
  const values = cookieValues(header, name, MAX_COOKIES_READ);
  const presented = values.length;
  // The common case, one well-formed cookie, allocates nothing more.
  if (presented === 1 && isToken(values[0])) return { candidates: values, presented };
  const candidates: string[] = [];
  for (const value of values) {
    if (candidates.length === MAX_COOKIE_CANDIDATES) break;
    if (isToken(value) && !candidates.includes(value)) candidates.push(value);
  }
  return { candidates, presented };
}

/**
 * Reads header `name` (lower case) from a request's facts, whichever way they carry headers;
 * several values are joined by `, `.
 */
export function readHeader(
  request: Pick<RequestFacts, "header" | "headers">,
  name: string,
): string | null | undefined {
  const headers = request.headers;
  if (headers !== undefined) {
    const value = headers[name];
    return typeof value === "string" || value === undefined ? value : value.join(", ");
  }
  return request.header?.(name);
}

/**
 * The session id a token names, or `null` when it is not a well-formed token: for integrations
 * that must check that something they were handed belongs to the request's own session.
 */
export function sessionIdOf(token: string | null | undefined): string | null {
  return parseToken(token)?.id ?? null;
}

/**
 * The session ids named by the tokens a request carries (each session cookie, then the bearer
 * header), without a store call.
 */
export function presentedSessionIds(
  sessions: Sessions,
  request: Pick<RequestFacts, "header" | "headers">,
): string[] {
  const tokens = sessionCookies(readHeader(request, "cookie"), sessions.cookie.name).candidates;
  const bearer = parseBearer(readHeader(request, "authorization"));
  if (bearer !== null) tokens.push(bearer);
  const ids: string[] = [];
  for (const token of tokens) {
    const id = sessionIdOf(token);
    if (id !== null) ids.push(id);
  }
  return ids;
}

/** The client a request's session is bound to: its address, user agent and device id. */
export function clientOf(request: RequestFacts, trustedProxies: number): ClientInfo {
  const client: ClientInfo = {};
  // Proxy headers only behind proxies the application trusts: anyone can write them.
  const proxied = trustedProxies > 0;
  const ip = clientAddress(
    request.remoteAddress,
    proxied ? readHeader(request, "x-forwarded-for") : null,
    trustedProxies,
    proxied ? readHeader(request, "forwarded") : null,
  );
  if (ip) client.ip = ip;
  const userAgent = readHeader(request, "user-agent");
  if (userAgent) client.userAgent = userAgent;
  if (request.deviceId) client.deviceId = request.deviceId;
  return client;
}

/**
 * The application's own origin (`https://host:port`) for the CSRF rule: the `Host` header and
 * the connection's scheme, or, behind trusted proxies, the first `X-Forwarded-Host` /
 * `X-Forwarded-Proto` values. `undefined` without a host.
 */
export function ownOrigin(request: RequestFacts, trustedProxies: number): string | undefined {
  const host =
    (trustedProxies > 0 ? firstForwarded(readHeader(request, "x-forwarded-host")) : undefined) ??
    readHeader(request, "host");
  if (!host) return undefined;
  const proto =
    (trustedProxies > 0 ? firstForwarded(readHeader(request, "x-forwarded-proto")) : undefined) ??
    (request.secure ? "https" : "http");
  return `${proto.toLowerCase()}://${host.toLowerCase()}`;
}
