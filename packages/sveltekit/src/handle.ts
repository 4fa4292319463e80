/**
 * SvelteKit 2 on Tessera's request gate (`@tessera/core/http`). This file only translates:
 * the `RequestEvent` into the gate's facts, the gate's answers and effects into the `Response`.
 * Every decision (CSRF, tokens, rotation, refusals) is the gate's.
 */
import { error, type Handle, type HandleServerError, type RequestEvent } from "@sveltejs/kit";
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

/** `event.locals.tessera`: the gate's request state; its helpers keep `locals.session` in step. */
export type TesseraLocals = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

declare global {
  namespace App {
    interface Locals {
      /** The request's valid session, or `null` (set by the Tessera handle). */
      session: Session | null;
      /** The request's session state and helpers (set by the Tessera handle). */
      tessera: TesseraLocals;
    }
  }
}

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (answer: HttpAnswer, event: RequestEvent) => Response | Promise<Response>;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`, ...) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * The peer address of the connection, on adapters without a Node.js request.
   * @defaultValue the socket's on adapter-node (`event.platform.req`), else `event.getClientAddress()`
   */
  getRemoteAddress?: (event: RequestEvent) => string | undefined;
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (event: RequestEvent) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * load, action or endpoint (with `handleError` exported from `hooks.server.ts`).
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/** What this package keeps on `event.locals` besides `session` and `tessera`. */
const REFUSED = Symbol.for("tessera.sveltekit.refused");
const FAILED = Symbol.for("tessera.sveltekit.failed");
type Marked = App.Locals & { [REFUSED]?: HttpAnswer; [FAILED]?: HttpAnswer };

/** The Node.js socket behind the event (adapter-node's `platform.req`), if any. */
function socketOf(event: RequestEvent) {
  type Platform = { req?: { socket?: { remoteAddress?: string; encrypted?: boolean } } };
  return (event.platform as Platform | undefined)?.req?.socket;
}

function adapterAddress(event: RequestEvent): string | undefined {
  try {
    return event.getClientAddress();
  } catch {
    return undefined; // the adapter cannot tell
  }
}

/**
 * The Tessera handle for `hooks.server.ts`: `export const handle = tessera(sessions)` (or in a
 * `sequence`). Refuses unsafe cross-site requests (403), validates the cookie or bearer token
 * once per request, sets `event.locals.session` / `event.locals.tessera`, and writes the
 * rotated cookie or `tessera-token` header (with `Cache-Control: private, no-store`) onto the
 * response. A store outage answers 503, never "logged out".
 *
 * @example
 * ```ts
 * // src/hooks.server.ts
 * export const handle = tessera(sessions);
 * export const handleError = tesseraHandleError();
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(sessions: Sessions, options: TesseraOptions = {}): Handle {
  const { getRemoteAddress, getDeviceId, onRefused, ...gateOptions } = options;
  const gate = createGate(sessions, gateOptions);
  const refuse = (answer: HttpAnswer, event: RequestEvent) =>
    onRefused ? onRefused(answer, event) : answerResponse(answer);

  return async function tesseraHandle({ event, resolve }) {
    const socket = socketOf(event);
    const request = event.request;
    const state = await gate.open({
      method: request.method,
      header: (name) => request.headers.get(name),
      remoteAddress: getRemoteAddress
        ? getRemoteAddress(event)
        : socket
          ? socket.remoteAddress
          : adapterAddress(event),
      // The connection's own scheme on Node; adapters without a socket build the URL themselves.
      secure: socket ? socket.encrypted === true : event.url.protocol === "https:",
      deviceId: getDeviceId?.(event),
      path: event.url.pathname,
    });
    if (state.refusal) return refuse(state.refusal, event);
    // A DBSC route, answered by the gate itself.
    if (state.served) return withEffects(answerResponse(state.served), state.effects());

    const locals = event.locals as Marked;
    locals.session = state.session;
    locals.tessera = state;
    state.onSessionChange = (session) => {
      locals.session = session;
    };
    let response = await resolve(event);
    const failed = locals[FAILED];
    const refused = locals[REFUSED];
    if (failed) response = await refuse(failed, event);
    else if (refused && isEndpointError(response, refused, event))
      response = answerResponse(refused);
    return withEffects(response, state.effects());
  };
}

/**
 * Whether SvelteKit answered a guard's `error()` as an endpoint's JSON (not a page, a
 * `__data.json` or a form action, whose formats SvelteKit's client reads): then the gate's
 * own bytes go out instead, as in every other integration.
 */
function isEndpointError(response: Response, refused: HttpAnswer, event: RequestEvent): boolean {
  return (
    response.status === refused.status &&
    response.headers.get("content-type") === "application/json" &&
    !event.isDataRequest &&
    event.request.headers.get("x-sveltekit-action") !== "true"
  );
}

/**
 * `handleError` for `hooks.server.ts`: a Tessera store failure in a load, action or endpoint
 * (`login`, `logout`, ...) is answered 503 by the handle instead of SvelteKit's 500; any other
 * error goes to `next`, your own handler.
 *
 * @example
 * ```ts
 * export const handleError = tesseraHandleError(({ error }) => {
 *   console.error(error);
 *   return { message: "Something went wrong" };
 * });
 * ```
 */
export function tesseraHandleError(next?: HandleServerError): HandleServerError {
  return function tesseraHandleServerError(input) {
    const locals = input.event.locals as Marked;
    const answer = locals.tessera?.answerForError(input.error);
    if (answer) locals[FAILED] = answer;
    return next?.(input);
  };
}

function guard(event: Pick<RequestEvent, "locals">, level: "session" | "fresh", name: string) {
  const locals = event.locals as Marked;
  const state = locals.tessera as TesseraLocals | undefined;
  if (typeof state?.require !== "function") {
    throw new TesseraConfigError(`${name}() needs the tessera() handle in src/hooks.server.ts`);
  }
  const refusal = state.require(level);
  if (!refusal) return state.session!;
  locals[REFUSED] = refusal;
  error(refusal.status, { message: refusal.refusal.error, ...refusal.refusal } as App.Error);
}

/**
 * The request's session, or SvelteKit's `error(401, { message: "unauthenticated", error,
 * reason? })` thrown: a load renders your `+error.svelte`, an endpoint answers the gate's JSON
 * 401 `{ error: "unauthenticated", reason? }`.
 *
 * @example
 * ```ts
 * // src/routes/account/+page.server.ts
 * export const load = (event) => ({ user: requireSession(event).userId });
 * ```
 * @throws TesseraConfigError when the `tessera()` handle did not run.
 */
export function requireSession(event: Pick<RequestEvent, "locals">): Session {
  return guard(event, "session", "requireSession");
}

/**
 * The request's session if fresh (a login or step-up within `freshFor`); else SvelteKit's
 * `error()` thrown: 401 without a session, 403 `{ error: "not-fresh" }` when stale.
 * `event.locals.tessera.reauthenticate()` after a password check makes it fresh again.
 *
 * @example
 * ```ts
 * export const actions = { password: async (event) => { requireFresh(event); ... } };
 * ```
 * @throws TesseraConfigError when the `tessera()` handle did not run.
 */
export function requireFresh(event: Pick<RequestEvent, "locals">): Session {
  return guard(event, "fresh", "requireFresh");
}
