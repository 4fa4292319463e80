/**
 * The proxy (`proxy.ts` in Next.js 16, `middleware.ts` in Next.js 15): the one place of a page
 * request that can both validate and write cookies before rendering. It runs the request gate
 * (CSRF, one validate, rotation), writes the gate's cookie and headers, and forwards what it
 * found, signed, to the render of the same request.
 */
import type { Session, Sessions } from "@tessera/core";
import type { RequestSession } from "@tessera/core/http";
import { type NextRequest, NextResponse } from "next/server.js";
import { FORWARDED_SESSION_HEADER, signForwardedSession } from "./forward.js";
import { resolveNextOptions, type TesseraNextOptions } from "./options.js";
import { applyEffects, nextFacts, toResponse } from "./request.js";

/** What `handle` receives besides the request. */
export interface ProxyContext {
  /** The validated session, or `null`. */
  session: Session | null;
  /** The request's session state and helpers (e.g. `tessera.logout()` before a redirect). */
  tessera: Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;
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
   * @defaultValue none: continue to the route
   */
  handle?: (
    request: NextRequest,
    context: ProxyContext,
  ) => Response | undefined | Promise<Response | undefined>;
}

/**
 * The function to export as `proxy` from `proxy.ts` (Next.js 16), or as `middleware` from
 * `middleware.ts` (Next.js 15).
 */
export type TesseraProxy = (request: NextRequest) => Promise<Response>;

/**
 * Builds the proxy function. Unsafe cross-site requests get 403 (unless `csrf: false`), a store
 * outage 503; otherwise the route runs with the session forwarded to it.
 *
 * @example
 * ```ts
 * // proxy.ts (Next.js 16)
 * export const proxy = tesseraProxy(sessions);
 * export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
 * ```
 * @example
 * ```ts
 * // middleware.ts (Next.js 15.5+): on the Node.js runtime, which shares the process's store
 * export const middleware = tesseraProxy(sessions);
 * export const config = {
 *   runtime: "nodejs",
 *   matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
 * };
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tesseraProxy(sessions: Sessions, options: TesseraProxyOptions = {}): TesseraProxy {
  const resolved = resolveNextOptions(sessions, options);
  const handle = options.handle;

  return async function proxy(request) {
    const headers = request.headers;
    const state = await resolved.gate.open(
      nextFacts(request.method, headers, request.url, resolved.getDeviceId?.(headers)),
    );
    if (state.refusal) return toResponse(state.refusal);
    // A DBSC route, answered by the gate itself.
    if (state.served) return applyEffects(toResponse(state.served), state.effects());

    // Always overwrite: a client-sent header of this name never reaches the render.
    const requestHeaders = new Headers(headers);
    requestHeaders.set(
      FORWARDED_SESSION_HEADER,
      await signForwardedSession(
        {
          session: state.session,
          token: state.token,
          source: state.source,
          reason: state.reason,
          issued: state.effects() !== null,
        },
        await resolved.key,
      ),
    );
    const custom = handle
      ? await handle(request, { session: state.session, tessera: state, requestHeaders })
      : undefined;
    const response = custom ?? NextResponse.next({ request: { headers: requestHeaders } });
    return applyEffects(response, state.effects());
  };
}
