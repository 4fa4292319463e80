/**
 * React Router 7 (framework mode, `future.v8_middleware`) on Tessera's request gate
 * (`@tessera/core/http`). This file only translates: the middleware's `request` into the gate's
 * facts, the gate's answers and effects into the `Response`. Every decision (CSRF, tokens,
 * rotation, refusals) is the gate's.
 */
import type { Session, Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import {
  answerResponse,
  createGate,
  type GateOptions,
  type HttpAnswer,
  type LogoutEverywhereOptions,
  type RequestSession,
  withEffects,
} from "@tessera/core/http";
import { createContext, type MiddlewareFunction, type RouterContextProvider } from "react-router";

/** The request's session state and helpers (`login`, `logout`, ...), read with `getTessera`. */
export type TesseraLocals = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** Where the middleware keeps the request's state: `context.get(tesseraContext)`. */
export const tesseraContext = createContext<TesseraLocals | null>(null);

/** A store failure `tesseraHandleError` saw in a loader or an action of this request. */
const failedContext = createContext<HttpAnswer | null>(null);

/** What the helpers read: the `context` of a loader, an action or a middleware. */
export interface ContextArgs {
  context: Pick<RouterContextProvider, "get">;
}

/** The middleware's arguments, as `getRemoteAddress`, `getDeviceId` and `onRefused` see them. */
export type MiddlewareArgs = Parameters<MiddlewareFunction<Response>>[0];

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (answer: HttpAnswer, args: MiddlewareArgs) => Response | Promise<Response>;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`, ...) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * The peer address of the connection. `react-router-serve` does not expose it: on your own
   * server, put `req.socket.remoteAddress` in the context (`getLoadContext`) and read it here.
   * @defaultValue none (no IP binding)
   */
  getRemoteAddress?: (args: MiddlewareArgs) => string | undefined;
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (args: MiddlewareArgs) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * loader or an action (with `tesseraHandleError` in `entry.server`).
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/**
 * The Tessera middleware, for the root route: `export const middleware = [tessera(sessions)]`
 * in `app/root.tsx` (with `future.v8_middleware`). Refuses unsafe cross-site requests (403),
 * validates the cookie or bearer token once per request, keeps the state in `tesseraContext`,
 * and writes the rotated cookie or `tessera-token` header (with `Cache-Control: private,
 * no-store`) onto the response. A store outage answers 503, never "logged out".
 *
 * @example
 * ```ts
 * // app/root.tsx
 * export const middleware = [tessera(sessions)];
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(
  sessions: Sessions,
  options: TesseraOptions = {},
): MiddlewareFunction<Response> {
  const { getRemoteAddress, getDeviceId, onRefused, ...gateOptions } = options;
  const gate = createGate(sessions, gateOptions);
  const refuse = (answer: HttpAnswer, args: MiddlewareArgs) =>
    onRefused ? onRefused(answer, args) : answerResponse(answer);

  return async function tesseraMiddleware(args, next) {
    const { request, context } = args;
    const url = new URL(request.url);
    const state = await gate.open({
      method: request.method,
      header: (name) => request.headers.get(name),
      remoteAddress: getRemoteAddress?.(args),
      // react-router-serve builds the URL's scheme from X-Forwarded-Proto when it is sent: then
      // the connection's is unknown here, and the gate reads the header only with trustedProxies.
      secure: request.headers.has("x-forwarded-proto") ? false : url.protocol === "https:",
      deviceId: getDeviceId?.(args),
      path: url.pathname,
    });
    if (state.refusal) return refuse(state.refusal, args);
    // A DBSC route, answered by the gate itself.
    if (state.served) return withEffects(answerResponse(state.served), state.effects());

    context.set(tesseraContext, state);
    let response = await next();
    const failed = context.get(failedContext);
    if (failed) response = await refuse(failed, args);
    return withEffects(response, state.effects());
  };
}

/**
 * `handleError` for `app/entry.server.tsx`: a Tessera store failure in a loader or an action
 * (`login`, `logout`, ...) is answered 503 by the middleware instead of React Router's 500; every
 * error goes on to `next`, your own handler (logging).
 *
 * @example
 * ```ts
 * export const handleError = tesseraHandleError((error) => console.error(error));
 * ```
 */
export function tesseraHandleError<Args extends { context: unknown }>(
  next?: (error: unknown, args: Args) => void,
): (error: unknown, args: Args) => void {
  return function tesseraHandleServerError(error, args) {
    const context = args.context as RouterContextProvider;
    const answer = context?.get?.(tesseraContext)?.answerForError(error);
    if (answer) context.set(failedContext, answer);
    next?.(error, args);
  };
}

/** The request's state; throws `TesseraConfigError` when the middleware did not run. */
export function getTessera(args: ContextArgs): TesseraLocals {
  const state = args.context.get(tesseraContext);
  if (typeof state?.require !== "function") {
    throw new TesseraConfigError("add tessera(sessions) to the root route's middleware");
  }
  return state;
}

/** The request's valid session, or `null`. */
export function getSession(args: ContextArgs): Session | null {
  return getTessera(args).session;
}

/**
 * The request's session, or the gate's answer thrown as a `Response` (React Router's way to
 * refuse in a loader or an action): 401 `{ error: "unauthenticated", reason? }`. A resource
 * route answers it as is; a page renders its `ErrorBoundary`.
 *
 * @example
 * ```ts
 * export async function loader(args: Route.LoaderArgs) {
 *   return { user: requireSession(args).userId };
 * }
 * ```
 * @throws Response (401), or TesseraConfigError when the middleware did not run.
 */
export function requireSession(args: ContextArgs): Session {
  const state = getTessera(args);
  const refusal = state.require("session");
  if (refusal) throw answerResponse(refusal);
  return state.session!;
}

/**
 * The request's session if fresh (a login or step-up within `freshFor`); else the answer thrown:
 * 401 without a session, 403 `{ error: "not-fresh" }` when stale.
 *
 * @example
 * ```ts
 * export async function action(args: Route.ActionArgs) {
 *   requireFresh(args);
 *   ...
 * }
 * ```
 * @throws Response (401 / 403), or TesseraConfigError when the middleware did not run.
 */
export function requireFresh(args: ContextArgs): Session {
  const state = getTessera(args);
  const refusal = state.require("fresh");
  if (refusal) throw answerResponse(refusal);
  return state.session!;
}
