/**
 * Astro 5 on Tessera's request gate (`@tessera/core/http`). This file only translates: the
 * `APIContext` into the gate's facts, the gate's answers and effects into the `Response`. Every
 * decision (CSRF, tokens, rotation, refusals) is the gate's.
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
import type { APIContext, MiddlewareHandler } from "astro";

/** `context.locals.tessera`: the gate's request state; its helpers keep `locals.session` in step. */
export type TesseraLocals = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

declare global {
  namespace App {
    interface Locals {
      /** The request's valid session, or `null` (set by the Tessera middleware). */
      session: Session | null;
      /** The request's session state and helpers (set by the Tessera middleware). */
      tessera: TesseraLocals;
    }
  }
}

/** What the guards and `onRefused` receive: the middleware's context, an endpoint's, or `Astro`. */
export type TesseraContext = Pick<APIContext, "locals" | "request" | "url">;

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (
  answer: HttpAnswer,
  context: TesseraContext,
) => Response | Promise<Response>;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`, ...) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * The peer address of the connection, e.g. from `locals` your own server passes to
   * `@astrojs/node` in middleware mode.
   * @defaultValue `context.clientAddress` when the request carries no `X-Forwarded-For`
   */
  getRemoteAddress?: (context: APIContext) => string | undefined;
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (context: APIContext) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * page or an endpoint.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/**
 * The connection's own address and scheme. `@astrojs/node` puts the first `X-Forwarded-For`
 * value in `clientAddress` and may build the URL from `X-Forwarded-Proto`: when the request
 * carries those headers, the socket's values are unknown here, and the gate reads the headers
 * itself only with `trustedProxies`.
 */
function connectionOf(context: APIContext) {
  const headers = context.request.headers;
  const address = headers.has("x-forwarded-for") ? undefined : context.clientAddress;
  const secure = headers.has("x-forwarded-proto") ? false : context.url.protocol === "https:";
  return { address, secure };
}

/**
 * The Tessera middleware for `src/middleware.ts`: `export const onRequest = tessera(sessions)`
 * (or in a `sequence`). Refuses unsafe cross-site requests (403), validates the cookie or bearer
 * token once per request, sets `context.locals.session` / `context.locals.tessera`, and writes
 * the rotated cookie or `tessera-token` header (with `Cache-Control: private, no-store`) onto
 * the response. A store outage, here or in a page or endpoint, answers 503, never "logged out".
 *
 * @example
 * ```ts
 * // src/middleware.ts
 * export const onRequest = tessera(sessions);
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(sessions: Sessions, options: TesseraOptions = {}): MiddlewareHandler {
  const { getRemoteAddress, getDeviceId, onRefused, ...gateOptions } = options;
  const gate = createGate(sessions, gateOptions);
  const refuse = (answer: HttpAnswer, context: TesseraContext) =>
    onRefused ? onRefused(answer, context) : answerResponse(answer);

  return async function tesseraMiddleware(context, next) {
    const request = context.request;
    const connection = connectionOf(context);
    const state = await gate.open({
      method: request.method,
      header: (name) => request.headers.get(name),
      remoteAddress: getRemoteAddress ? getRemoteAddress(context) : connection.address,
      secure: connection.secure,
      deviceId: getDeviceId?.(context),
      path: context.url.pathname,
    });
    if (state.refusal) return refuse(state.refusal, context);
    // A DBSC route, answered by the gate itself.
    if (state.served) return withEffects(answerResponse(state.served), state.effects());

    const locals = context.locals;
    locals.session = state.session;
    locals.tessera = state;
    state.onSessionChange = (session) => {
      locals.session = session;
    };
    let response: Response;
    try {
      response = await next();
    } catch (error) {
      // A page or endpoint's login / logout failed on the store: 503, not Astro's 500.
      const failed = gate.answerForError(error);
      if (!failed) throw error;
      response = await refuse(failed, context);
    }
    return withEffects(response, state.effects());
  };
}

function guard(context: TesseraContext, level: "session" | "fresh", name: string) {
  const state = context.locals.tessera as TesseraLocals | undefined;
  if (typeof state?.require !== "function") {
    throw new TesseraConfigError(`${name}() needs the tessera() middleware in src/middleware.ts`);
  }
  const refusal = state.require(level);
  return refusal ? answerResponse(refusal) : null;
}

/**
 * `null` with a valid session (then `locals.session` is set), else the gate's answer to return:
 * 401 `{ error: "unauthenticated", reason? }`. Astro pages and endpoints refuse by returning a
 * `Response`; to redirect instead, test `locals.session` and `return context.redirect(...)`.
 *
 * @example
 * ```ts
 * // src/pages/me.ts
 * export const GET: APIRoute = (context) =>
 *   requireSession(context) ?? Response.json({ user: context.locals.session!.userId });
 * ```
 * @throws TesseraConfigError when the `tessera()` middleware did not run.
 */
export function requireSession(context: TesseraContext): Response | null {
  return guard(context, "session", "requireSession");
}

/**
 * `null` with a fresh session (a login or step-up within `freshFor`), else the answer to return:
 * 401 without a session, 403 `{ error: "not-fresh" }` when stale.
 * `locals.tessera.reauthenticate()` after a password check makes the session fresh again.
 *
 * @example
 * ```ts
 * export const POST: APIRoute = (context) => requireFresh(context) ?? changePassword(context);
 * ```
 * @throws TesseraConfigError when the `tessera()` middleware did not run.
 */
export function requireFresh(context: TesseraContext): Response | null {
  return guard(context, "fresh", "requireFresh");
}
