/**
 * The proxy (`proxy.ts`, formerly `middleware.ts`): the one place of a page request that can
 * both validate and write cookies before rendering. It checks the origin of unsafe requests,
 * validates the session once (rotating it when due), sets the rotated cookie, and forwards its
 * verdict, signed, to the render of the same request.
 */
import {
  readRequestSession,
  type Session,
  type Sessions,
  StoreUnavailableError,
} from "@tessera/core";
import { type NextRequest, NextResponse } from "next/server.js";
import { FORWARDED_SESSION_HEADER, signForwardedSession } from "./forward.js";
import { resolveNextOptions, type TesseraNextOptions } from "./options.js";
import { originFacts, sessionFacts } from "./request.js";
import { applySessionHeaders, crossSiteResponse, storeUnavailableResponse } from "./respond.js";

/** What `handle` receives besides the request. */
export interface ProxyContext {
  /** The validated session, or `null`. */
  session: Session | null;
  /**
   * The request headers to forward: the incoming ones plus the signed verdict. Pass them to any
   * `NextResponse.next()` or `NextResponse.rewrite()` you build, or server components will not
   * see the session.
   */
  requestHeaders: Headers;
}

/** Options of `tesseraProxy`. */
export interface TesseraProxyOptions extends TesseraNextOptions {
  /**
   * Your own proxy logic, run after validation: return a response (a redirect to the login
   * page, a rewrite, JSON) or nothing to continue to the route. The session cookie is added to
   * whatever you return.
   */
  handle?: (
    request: NextRequest,
    context: ProxyContext,
  ) => Response | undefined | Promise<Response | undefined>;
}

/** The function to export from `proxy.ts` (or `middleware.ts`). */
export type TesseraProxy = (request: NextRequest) => Promise<Response>;

/**
 * Builds the proxy function. Unsafe cross-site requests get 403 (unless `csrf: false`), a store
 * outage 503; otherwise the route runs with the session forwarded to it. Throws
 * `TesseraConfigError` for invalid options.
 */
export function tesseraProxy(sessions: Sessions, options: TesseraProxyOptions = {}): TesseraProxy {
  const resolved = resolveNextOptions(sessions, options);
  const handle = options.handle;

  return async function proxy(request) {
    const refusal = resolved.checkOrigin?.(originFacts(request.method, request.headers));
    if (refusal) return crossSiteResponse(refusal);

    let found: Awaited<ReturnType<typeof readRequestSession>>;
    try {
      found = await readRequestSession(
        sessions,
        sessionFacts(request.headers),
        resolved.client(request.headers),
      );
    } catch (error) {
      if (error instanceof StoreUnavailableError) return storeUnavailableResponse();
      throw error;
    }

    // Always overwrite: a client-sent header of this name never reaches the render.
    const requestHeaders = new Headers(request.headers);
    requestHeaders.set(
      FORWARDED_SESSION_HEADER,
      await signForwardedSession(found, await resolved.key),
    );
    const custom = handle
      ? await handle(request, { session: found.session, requestHeaders })
      : undefined;
    const response = custom ?? NextResponse.next({ request: { headers: requestHeaders } });
    return applySessionHeaders(
      response,
      found.setCookie ? [found.setCookie] : [],
      found.rotatedToken,
    );
  };
}
