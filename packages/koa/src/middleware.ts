/**
 * Koa 2 and 3 on Tessera's request gate (`@tessera/core/http`). This file only translates:
 * Koa's context into the gate's facts, the gate's answers and effects into Koa's response.
 * Every decision (CSRF, tokens, rotation, refusals) is the gate's.
 */
import type { Session, Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import {
  createGate,
  type GateOptions,
  type HttpAnswer,
  type LogoutEverywhereOptions,
  type RequestSession,
  type ServedAnswer,
  serializeCookie,
} from "@tessera/core/http";
import type { Middleware, ParameterizedContext } from "koa";

/** `ctx.state.tessera`: the gate's request state; its helpers keep `ctx.state.session` in step. */
export type TesseraRequest = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** What `tessera()` puts in `ctx.state`. */
export interface TesseraState {
  /** The request's valid session, or `null`. */
  session: Session | null;
  /** The request's session state and helpers. */
  tessera: TesseraRequest;
}

declare module "koa" {
  interface DefaultState extends TesseraState {}
}

/** A Koa context whose state `tessera()` has set. */
export type TesseraContext = ParameterizedContext<TesseraState>;

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (answer: HttpAnswer, ctx: TesseraContext) => void | Promise<void>;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (ctx: TesseraContext) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * middleware or route after this one.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a 401 / 403 refusal (e.g. redirect to a login page).
   * @defaultValue the JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/** Sets an answer exactly as the gate gives it (a string body: Koa adds no JSON of its own). */
function send(ctx: TesseraContext, answer: ServedAnswer) {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

/** Writes the gate's cookies (appended to the app's) and headers (replacing) onto the response. */
function writeEffects(ctx: TesseraContext, state: RequestSession) {
  const effects = state.effects();
  if (!effects || ctx.headerSent) return;
  for (const cookie of effects.cookies) ctx.append("set-cookie", serializeCookie(cookie));
  ctx.set(effects.headers);
}

/**
 * The Tessera middleware for Koa 2 and 3: `app.use(tessera(sessions))`. Refuses unsafe
 * cross-site requests (403), validates the cookie or bearer token once per request, sets
 * `ctx.state.session` / `ctx.state.tessera`, and once the downstream middleware is done writes
 * the rotated cookie or `tessera-token` header (with `Cache-Control: private, no-store`). A store
 * outage, here or downstream, answers 503, never "logged out". Koa's `app.proxy` is not read:
 * proxy headers count only with `trustedProxies`.
 *
 * @example
 * ```ts
 * app.use(tessera(sessions, { trustedProxies: 1 }));
 * app.use(requireSession());
 * app.use((ctx) => { ctx.body = { user: ctx.state.session!.userId }; });
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(
  sessions: Sessions,
  options: TesseraOptions = {},
): Middleware<TesseraState> {
  const gate = createGate(sessions, options);
  const { getDeviceId, onRefused } = options;
  const refuse = (ctx: TesseraContext, answer: HttpAnswer) =>
    onRefused ? onRefused(answer, ctx) : send(ctx, answer);

  return async function tessera(ctx, next) {
    const known = ctx.state.tessera as RequestSession | undefined;
    // Mounted again (a sub-app on the same context): the first mount validated and writes.
    if (known?.sessions === sessions) return next();
    const socket = ctx.req.socket;
    const state = await gate.open({
      method: ctx.method,
      headers: ctx.req.headers,
      remoteAddress: socket.remoteAddress,
      secure: (socket as { encrypted?: boolean }).encrypted === true,
      deviceId: getDeviceId?.(ctx),
      path: ctx.path,
    });
    if (state.refusal) return refuse(ctx, state.refusal);
    if (state.served) {
      // A DBSC route, answered by the gate itself.
      send(ctx, state.served);
      writeEffects(ctx, state);
      return;
    }
    ctx.state.session = state.session;
    ctx.state.tessera = state;
    state.onSessionChange = (session) => {
      ctx.state.session = session;
    };
    try {
      await next();
    } catch (error) {
      // A downstream login/logout failed on the store: 503, not the app's 500.
      const answer = gate.answerForError(error);
      if (!answer) throw error;
      await refuse(ctx, answer);
    } finally {
      writeEffects(ctx, state);
    }
  };
}

function guard(level: "session" | "fresh", options: GuardOptions, name: string) {
  const { onRefused } = options;
  const middleware: Middleware<TesseraState> = async function requireTesseraSession(ctx, next) {
    const state = ctx.state.tessera as RequestSession | undefined;
    if (typeof state?.require !== "function") {
      throw new TesseraConfigError(
        `${name}() runs after app.use(tessera(sessions)); mount it first`,
      );
    }
    const refusal = state.require(level);
    if (!refusal) return next();
    return onRefused ? onRefused(refusal, ctx) : send(ctx, refusal);
  };
  return middleware;
}

/**
 * Lets the request through only with a valid session; otherwise 401 `{ error: "unauthenticated", reason? }`.
 *
 * @example
 * ```ts
 * router.get("/me", requireSession(), (ctx) => { ctx.body = { user: ctx.state.session!.userId }; });
 * router.get("/account", requireSession({ onRefused: (_answer, ctx) => ctx.redirect("/login") }), page);
 * ```
 */
export function requireSession(options: GuardOptions = {}): Middleware<TesseraState> {
  return guard("session", options, "requireSession");
}

/**
 * Lets the request through only with a fresh session (a login or step-up within `freshFor`):
 * 401 without a session, 403 `{ error: "not-fresh" }` when stale. `ctx.state.tessera.reauthenticate()`
 * after a password check makes the session fresh again.
 *
 * @example
 * ```ts
 * router.post("/password", requireFresh(), changePassword); // 403 { error: "not-fresh" } after freshFor
 * ```
 */
export function requireFresh(options: GuardOptions = {}): Middleware<TesseraState> {
  return guard("fresh", options, "requireFresh");
}
