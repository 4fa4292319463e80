/**
 * Elysia on Tessera's request gate (`@tessera/core/http`), on Bun and on Node.js
 * (`@elysiajs/node`). This file only translates: Elysia's context into the gate's facts, the
 * gate's answers and effects into Elysia's response. Every decision is the gate's.
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
import { Elysia, type PreContext } from "elysia";

/** `tessera` in the context: the gate's request state; its helpers keep `session` in step. */
export type TesseraRequest = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** What the plugin derives into every handler's context. */
export type TesseraContext = {
  /** The request's valid session, or `null`; updated by `tessera.login` / `logout` / ... */
  session: Session | null;
  /** The request's session state and helpers. */
  tessera: TesseraRequest;
};

/**
 * The part of Elysia's context the plugin's callbacks get: what the context has from the start
 * of the request (`onRequest`) to the route's hooks.
 */
export type RequestContext = Pick<PreContext, "request" | "server" | "redirect"> & {
  set: { headers: PreContext["set"]["headers"]; status?: number | string };
};

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (answer: HttpAnswer, context: RequestContext) => unknown;

/** Options of the plugin: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * The peer address of the connection, where neither Bun's `server.requestIP` nor a Node.js
   * socket gives it.
   * @defaultValue Bun's `server.requestIP(request)`, or the Node.js socket's address
   */
  getRemoteAddress?: (context: RequestContext) => string | undefined;
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (context: RequestContext) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * handler.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a 401 / 403 refusal (e.g. a redirect to the login page).
   * @defaultValue the JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/** The gate's answer as a `Response`, exactly as given. */
function toResponse(answer: HttpAnswer | ServedAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** Adds the gate's cookies (after the app's) and headers (replacing) to `set.headers`. */
function writeEffects({ set }: RequestContext, state: RequestSession) {
  const effects = state.effects();
  if (!effects) return;
  const current = set.headers["set-cookie"];
  const cookies = current === undefined ? [] : Array.isArray(current) ? current : [current];
  for (const cookie of effects.cookies) cookies.push(serializeCookie(cookie));
  set.headers["set-cookie"] = cookies;
  Object.assign(set.headers, effects.headers);
}

/** The Node.js socket under `@elysiajs/node` (srvx keeps the request it wraps). */
type NodeSocket = { remoteAddress?: string; encrypted?: boolean };
function nodeSocket(request: Request): NodeSocket | undefined {
  type Wrapped = { runtime?: { node?: { req?: { socket?: NodeSocket } } } };
  return (request as Wrapped).runtime?.node?.req?.socket;
}

/** The peer address: the Node.js socket's, else Bun's `server.requestIP`. Never a header. */
function connectionAddress({ request, server }: RequestContext): string | undefined {
  const socket = nodeSocket(request);
  if (socket) return socket.remoteAddress;
  return server?.requestIP(request)?.address;
}

/**
 * The Tessera plugin for Elysia: `app.use(tessera(sessions))`, once, before the routes. Refuses
 * unsafe cross-site requests (403), validates the cookie or bearer token once per request,
 * derives `session` and `tessera` into every handler's context, writes the rotated cookie or
 * `tessera-token` header (with `Cache-Control: private, no-store`) after the handler, and answers
 * 503 when the store fails, here or in a handler.
 *
 * @example
 * ```ts
 * const app = new Elysia()
 *   .use(tessera(sessions))
 *   .get("/me", ({ session }) => ({ user: session!.userId }), { beforeHandle: requireSession() });
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(sessions: Sessions, options: TesseraOptions = {}) {
  const gate = createGate(sessions, options);
  const { getDeviceId, onRefused } = options;
  const getRemoteAddress = options.getRemoteAddress ?? connectionAddress;
  const refuse = (answer: HttpAnswer, context: RequestContext) =>
    onRefused ? onRefused(answer, context) : toResponse(answer);

  return (
    new Elysia({ name: "@tessera/elysia" })
      // Before routing, so unsafe requests to any path (unknown ones too) meet the CSRF rule, and
      // before body parsing, so a refused request costs nothing more.
      .onRequest(async (context) => {
        const { request } = context;
        const socket = nodeSocket(request);
        const state = await gate.open({
          method: request.method,
          header: (name) => request.headers.get(name),
          remoteAddress: getRemoteAddress(context),
          // The connection's scheme: a Node.js socket's TLS, else the URL Bun built from it.
          secure: socket ? socket.encrypted === true : request.url.startsWith("https:"),
          deviceId: getDeviceId?.(context),
          // Only the DBSC routes need it (and the URL parse it costs).
          path: options.dbsc ? new URL(request.url).pathname : undefined,
        });
        if (state.refusal) return refuse(state.refusal, context);
        // Kept on the request's context, which the later hooks and the handler share.
        const shared = context as RequestContext & Partial<TesseraContext>;
        shared.tessera = state;
        shared.session = state.session;
        state.onSessionChange = (session) => {
          shared.session = session;
        };
        if (state.served) {
          // A DBSC route, answered by the gate itself, with its cookie.
          writeEffects(context, state);
          return toResponse(state.served);
        }
      })
      // Types `session` and `tessera` in every handler after the plugin (set in onRequest).
      .derive({ as: "global" }, (context) => {
        const { session, tessera } = context as unknown as TesseraContext;
        return { session, tessera } satisfies TesseraContext;
      })
      .onAfterHandle({ as: "global" }, (context) => {
        const state = (context as Partial<TesseraContext>).tessera as RequestSession | undefined;
        if (state) writeEffects(context, state);
      })
      .onError({ as: "global" }, (context) => {
        // A handler's login / logout failed on the store: 503, not the default 500.
        const state = (context as Partial<TesseraContext>).tessera as RequestSession | undefined;
        const answer = (state ?? gate).answerForError(context.error);
        if (answer) return refuse(answer, context);
      })
  );
}
function guard(level: "session" | "fresh", options: GuardOptions, name: string) {
  const { onRefused } = options;
  return function requireTesseraSession(context: RequestContext) {
    const state = (context as Partial<TesseraContext>).tessera as RequestSession | undefined;
    if (typeof state?.require !== "function") {
      throw new TesseraConfigError(`${name}() needs .use(tessera(sessions)) before the route`);
    }
    const refusal = state.require(level);
    if (!refusal) return;
    return onRefused ? onRefused(refusal, context) : toResponse(refusal);
  };
}

/**
 * A `beforeHandle` hook: only with a valid session; otherwise 401 `{ error: "unauthenticated", reason? }`.
 *
 * @example
 * ```ts
 * app.get("/me", ({ session }) => ({ user: session!.userId }), { beforeHandle: requireSession() });
 * ```
 */
export function requireSession(options: GuardOptions = {}): (context: RequestContext) => unknown {
  return guard("session", options, "requireSession");
}

/**
 * A `beforeHandle` hook: only with a fresh session (a login or step-up within `freshFor`); 401
 * without a session, 403 `{ error: "not-fresh" }` when stale. `tessera.reauthenticate()` after a
 * password check makes the session fresh again.
 *
 * @example
 * ```ts
 * app.post("/password", changePassword, { beforeHandle: requireFresh() }); // 403 not-fresh when stale
 * ```
 */
export function requireFresh(options: GuardOptions = {}): (context: RequestContext) => unknown {
  return guard("fresh", options, "requireFresh");
}
