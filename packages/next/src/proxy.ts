/** The proxy (`proxy.ts`; Next.js 15: `middleware.ts`): validates, writes cookies, then renders. */
import type { Session, Sessions } from "@tessera/core";
import { answerResponse as toResponse } from "@tessera/core/http";
import { type NextRequest, NextResponse } from "next/server.js";
import { FORWARDED_SESSION_HEADER, signForwardedSession } from "./forward.js";
import { applyEffects, nextGate, type TesseraNextOptions } from "./request.js";
import type { RouteSession } from "./route.js";

/** What `handle` receives besides the request. */
export interface ProxyContext {
  /** The validated session, or `null`. */
  session: Session | null;
  /** The request's session state and helpers (e.g. `tessera.logout()` before a redirect). */
  tessera: RouteSession;
  /** Request headers with the signed verdict: pass them to a `NextResponse.next()` you build. */
  requestHeaders: Headers;
}

/** Options of `tesseraProxy`. */
export interface TesseraProxyOptions extends TesseraNextOptions {
  /** Your logic after validation: a response (redirect, rewrite) or none. @defaultValue none */
  handle?: (
    request: NextRequest,
    context: ProxyContext,
  ) => Promise<Response | undefined> | Response | undefined;
}

/** The function to export as `proxy` (Next.js 16) or `middleware` (Next.js 15). */
export type TesseraProxy = (request: NextRequest) => Promise<Response>;

/**
 * Builds the proxy: 403 cross-site, 503 on a store outage, else the route runs with the session
 * forwarded to it. Next.js 15: export it as `middleware` with `runtime: "nodejs"` in `config`.
 *
 * @example
 * ```ts
 * export const proxy = tesseraProxy(sessions);
 * export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"] };
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tesseraProxy(sessions: Sessions, options: TesseraProxyOptions = {}): TesseraProxy {
  const next = nextGate(sessions, options);
  return async function proxy(request) {
    const state = await next.gate.open(
      next.facts(request.method, request.headers, request.nextUrl.pathname),
    );
    if (state.refusal) return toResponse(state.refusal);
    if (state.served) return applyEffects(toResponse(state.served), state.effects()); // DBSC
    const session = state.session;
    const found = { ...state.checked(), issued: state.effects() !== null };
    // Always overwritten: a client-sent header of this name never reaches the render.
    const requestHeaders = new Headers(request.headers);
    requestHeaders.set(FORWARDED_SESSION_HEADER, await signForwardedSession(found, await next.key));
    const custom = await options.handle?.(request, { session, tessera: state, requestHeaders });
    const response = custom ?? NextResponse.next({ request: { headers: requestHeaders } });
    return applyEffects(response, state.effects());
  };
}
