/**
 * Next.js requests as the gate's facts, and the gate's answers and effects onto Next.js
 * responses. Header access only, so it serves the proxy, route handlers and `next/headers` alike.
 */
import type { RequestFacts, ResponseEffects, ServedAnswer } from "@tessera/core/http";
import { toNextCookie } from "./cookie.js";

/** Read-only header access shared by `Request.headers` and `next/headers`' `headers()`. */
export interface HeaderReader {
  /** The header's value (several joined by ", "), or `null` when absent. */
  get(name: string): string | null;
}

/**
 * The gate's facts for a Next.js request. Next.js exposes no socket address, so the client
 * address comes only from `X-Forwarded-For` with `trustedProxies` (`next start` keeps a client's
 * own `X-Forwarded-For`, so it is never read by default). `secure` is the URL's scheme when there
 * is a URL, else the `X-Forwarded-Proto` Next.js sets for the request.
 */
export function nextFacts(
  method: string,
  headers: HeaderReader,
  url?: string,
  deviceId?: string,
): RequestFacts {
  let path: string | undefined;
  if (url) {
    try {
      path = new URL(url).pathname;
    } catch {
      path = undefined;
    }
  }
  return {
    path,
    method,
    header: (name) => headers.get(name),
    remoteAddress: undefined,
    secure: url ? url.startsWith("https:") : headers.get("x-forwarded-proto") === "https",
    deviceId,
  };
}

/** The gate's answer as a `Response`, exactly as given. */
export function toResponse(answer: ServedAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** A response whose cookies Next.js tracks (`NextResponse`), or any `Response`. */
interface CookieJarResponse extends Response {
  cookies?: { set(cookie: ReturnType<typeof toNextCookie>): unknown };
}

/**
 * Writes the gate's effects onto a response. A `NextResponse` gets the cookie through its
 * cookie API (the render of the same request then reads the new value); a plain `Response` gets
 * the raw header. Responses with immutable headers (`Response.redirect()`) are copied first.
 */
export function applyEffects(response: Response, effects: ResponseEffects | null): Response {
  if (!effects) return response;
  let target: CookieJarResponse = response;
  try {
    write(target, effects);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    target = new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
    });
    write(target, effects);
  }
  return target;
}

function write(response: CookieJarResponse, effects: ResponseEffects) {
  if (effects.setCookie !== null) {
    if (typeof response.cookies?.set === "function") {
      response.cookies.set(toNextCookie(effects.setCookie));
    } else {
      response.headers.append("set-cookie", effects.setCookie);
    }
  }
  if (effects.deviceCookie !== null) {
    if (typeof response.cookies?.set === "function") {
      response.cookies.set(toNextCookie(effects.deviceCookie));
    } else {
      response.headers.append("set-cookie", effects.deviceCookie);
    }
  }
  for (const name in effects.headers) response.headers.set(name, effects.headers[name]!);
}
