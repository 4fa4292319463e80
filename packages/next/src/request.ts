/**
 * What the integration reads from a request's headers: the client the session is bound to, the
 * facts the CSRF check needs, and the token (through core). Header access only, so it runs in
 * the proxy, in route handlers and behind `next/headers` alike.
 */
import type { ClientInfo, OriginFacts } from "@tessera/core";

/** Read-only header access shared by `Request.headers` and `next/headers`' `headers()`. */
export interface HeaderReader {
  /** The header's value (several joined by ", "), or `null` when absent. */
  get(name: string): string | null;
}

/** Derives the client a session is bound to from the request headers. */
export type ClientResolver = (headers: HeaderReader) => ClientInfo;

/**
 * The default client: the right-most `X-Forwarded-For` entry (the address the nearest proxy
 * saw; Vercel and most reverse proxies set or append it), else `X-Real-IP`, and the
 * `User-Agent`. Next.js exposes no socket address to the proxy, so behind several proxies, or
 * with none at all, pass your own `client` resolver.
 */
export function defaultClient(headers: HeaderReader): ClientInfo {
  const client: ClientInfo = {};
  const forwarded = headers.get("x-forwarded-for");
  const ip = forwarded ? forwarded.split(",").pop()?.trim() : headers.get("x-real-ip")?.trim();
  if (ip) client.ip = ip;
  const userAgent = headers.get("user-agent");
  if (userAgent) client.userAgent = userAgent;
  return client;
}

/**
 * The headers the CSRF check compares. The host is `X-Forwarded-Host` (first value) else
 * `Host`, the same pair Next.js compares the `Origin` with before it runs a Server Action.
 */
export function originFacts(method: string, headers: HeaderReader): OriginFacts {
  const forwardedHost = headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  return {
    method,
    origin: headers.get("origin"),
    secFetchSite: headers.get("sec-fetch-site"),
    host: forwardedHost || headers.get("host"),
  };
}

/** The two headers a session token may come in. */
export function sessionFacts(headers: HeaderReader): {
  cookie: string | null;
  authorization: string | null;
} {
  return { cookie: headers.get("cookie"), authorization: headers.get("authorization") };
}
