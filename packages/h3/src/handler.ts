/**
 * h3 v1 (Nuxt 3 and 4, Nitro 2) on Tessera's request gate (`@tessera/core/http`). This file only
 * translates: the event's Node.js request into the gate's facts, the gate's answers and effects
 * into the event's response. Every decision (CSRF, tokens, rotation, refusals) is the gate's.
 */
import type { Session, Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import {
  answerForError,
  createGate,
  type GateOptions,
  type HttpAnswer,
  type LogoutEverywhereOptions,
  type RequestSession,
  type ServedAnswer,
  serializeCookie,
} from "@tessera/core/http";
import {
  appendResponseHeader,
  defineEventHandler,
  type EventHandler,
  type H3Event,
  send,
  setResponseHeaders,
  setResponseStatus,
} from "h3";

/** `event.context.tessera`: the gate's request state; its helpers keep `event.context.session` in step. */
export type TesseraRequest = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** What `tessera()` puts in `event.context`. */
export interface TesseraEventContext {
  /** The request's valid session, or `null`. */
  session: Session | null;
  /** The request's session state and helpers. */
  tessera: TesseraRequest;
}

declare module "h3" {
  interface H3EventContext extends TesseraEventContext {}
}

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (answer: HttpAnswer, event: H3Event) => unknown;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (event: H3Event) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal of this middleware.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a 401 / 403 refusal (e.g. `sendRedirect(event, "/login")`).
   * @defaultValue the JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/** Sends an answer exactly as the gate gives it (no h3 JSON helper, which adds headers). */
function reply(event: H3Event, answer: ServedAnswer): Promise<void> {
  setResponseStatus(event, answer.status);
  setResponseHeaders(event, answer.headers);
  return send(event, answer.body);
}

/** Adds the gate's cookies (after the app's) and headers (replacing) to the response head. */
function writeEffects(event: H3Event, state: RequestSession) {
  const effects = state.effects();
  if (!effects) return;
  for (const cookie of effects.cookies) {
    appendResponseHeader(event, "set-cookie", serializeCookie(cookie));
  }
  setResponseHeaders(event, effects.headers);
}

/**
 * The Tessera middleware for h3 v1 and Nuxt / Nitro 2: `app.use(tessera(sessions))`, or the
 * default export of a Nuxt `server/middleware/` file. Refuses unsafe cross-site requests (403),
 * validates the cookie or bearer token once per request, sets `event.context.session` /
 * `event.context.tessera`, and writes the rotated cookie or `tessera-token` header (with
 * `Cache-Control: private, no-store`) when the response head goes out, after the handler.
 * A store outage here answers 503, never "logged out"; for one in a handler, see
 * `answerStoreError`.
 *
 * @example
 * ```ts
 * // server/middleware/tessera.ts (Nuxt)
 * export default tessera(sessions, { trustedProxies: 1 });
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(sessions: Sessions, options: TesseraOptions = {}): EventHandler {
  const gate = createGate(sessions, options);
  const { getDeviceId, onRefused } = options;
  const refuse = (event: H3Event, answer: HttpAnswer) =>
    onRefused ? onRefused(answer, event) : reply(event, answer);

  return defineEventHandler(async function tessera(event) {
    // Mounted twice (a layer of Nitro and one of the app): the first check stands.
    if ((event.context.tessera as RequestSession | undefined)?.sessions === sessions) return;
    const { req, res } = event.node;
    const state = await gate.open({
      method: event.method,
      headers: req.headers,
      remoteAddress: req.socket?.remoteAddress,
      secure: (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
      deviceId: getDeviceId?.(event),
      path: event.path.split("?", 1)[0],
    });
    if (state.refusal) return refuse(event, state.refusal);
    if (state.served) {
      // A DBSC route, answered by the gate itself.
      writeEffects(event, state);
      return reply(event, state.served);
    }
    event.context.session = state.session;
    event.context.tessera = state;
    state.onSessionChange = (session) => {
      event.context.session = session;
    };
    // The handler runs after this middleware returns: its login / logout decide the final
    // cookie, which goes out with the head, whoever writes it (h3, Nitro, a stream).
    const writeHead = res.writeHead;
    res.writeHead = function tesseraWriteHead(this: typeof res, ...args: unknown[]) {
      res.writeHead = writeHead;
      writeEffects(event, state);
      return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.writeHead;
  });
}

/**
 * Answers a Tessera store failure thrown by a handler (`login`, `logout`, ... while the store is
 * down) with 503 `{ error: "store-unavailable" }` and `Retry-After`, not a 500; returns whether
 * it did. Every other error is left to the app. Wire it where the app sees errors: h3's
 * `createApp({ onError })`, or Nitro's `error` hook (Nuxt's error page then stays for the rest).
 *
 * @example
 * ```ts
 * // server/plugins/tessera.ts (Nuxt)
 * export default defineNitroPlugin((nitro) => {
 *   nitro.hooks.hook("error", (error, { event }) => event && answerStoreError(error, event));
 * });
 * ```
 */
export function answerStoreError(error: unknown, event: H3Event): boolean {
  // h3 wraps what a handler throws in an H3Error that keeps only the original's cause: the
  // request's state remembers a helper's store failure itself.
  const state = event.context.tessera as RequestSession | undefined;
  const answer = state?.failure ?? answerForError(error);
  if (!answer || event.handled) return false;
  const res = event.node.res;
  res.statusCode = answer.status;
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!);
  res.end(answer.body);
  return true;
}

function guard(level: "session" | "fresh", options: GuardOptions, name: string): EventHandler {
  const { onRefused } = options;
  return defineEventHandler(async function requireTesseraSession(event) {
    const state = event.context.tessera as RequestSession | undefined;
    if (typeof state?.require !== "function") {
      throw new TesseraConfigError(`${name}() runs after the tessera() middleware; mount it first`);
    }
    const refusal = state.require(level);
    if (!refusal) return;
    if (onRefused) return onRefused(refusal, event);
    return reply(event, refusal);
  });
}

/**
 * Lets the request through only with a valid session; otherwise 401 `{ error: "unauthenticated", reason? }`.
 * A middleware, or an `onRequest` hook of one handler.
 *
 * @example
 * ```ts
 * export default defineEventHandler({
 *   onRequest: [requireSession()],
 *   handler: (event) => ({ user: event.context.session!.userId }),
 * });
 * ```
 */
export function requireSession(options: GuardOptions = {}): EventHandler {
  return guard("session", options, "requireSession");
}

/**
 * Lets the request through only with a fresh session (a login or step-up within `freshFor`):
 * 401 without a session, 403 `{ error: "not-fresh" }` when stale. `event.context.tessera.reauthenticate()`
 * after a password check makes the session fresh again.
 *
 * @example
 * ```ts
 * export default defineEventHandler({ onRequest: [requireFresh()], handler: changePassword });
 * ```
 */
export function requireFresh(options: GuardOptions = {}): EventHandler {
  return guard("fresh", options, "requireFresh");
}
