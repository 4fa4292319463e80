/**
 * Fastify 5 on Tessera's request gate (`@tessera/core/http`). This file only translates:
 * Fastify's request into the gate's facts, the gate's answers and effects into Fastify's reply.
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
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
  RouteHandlerMethod,
} from "fastify";

/** `request.tessera`: the gate's request state; its helpers keep `request.session` in step. */
export type TesseraRequest = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

declare module "fastify" {
  interface FastifyRequest {
    /** The request's valid session, or `null` (set by the Tessera plugin). */
    session: Session | null;
    /** The request's session state and helpers (set by the Tessera plugin). */
    tessera: TesseraRequest;
  }
}

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (
  answer: HttpAnswer,
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply | Promise<FastifyReply>;

/** Options of the plugin: the sessions, the gate's options, and these. */
export interface TesseraPluginOptions extends GateOptions {
  /** The session manager from `createSessions`. */
  sessions: Sessions;
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (request: FastifyRequest) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * route handler.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/** Sends an answer exactly as the gate gives it. */
function send(reply: FastifyReply, answer: ServedAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** The gate's state of a request, kept in the decorated `request.tessera` (no extra property). */
function stateOf(request: FastifyRequest): RequestSession | null {
  return (request.tessera as RequestSession | null) ?? null;
}

/**
 * The Tessera plugin for Fastify 5: `await app.register(tessera, { sessions })`. Registered
 * once, it applies to the whole app (not encapsulated). Refuses unsafe cross-site requests
 * (403), validates the cookie or bearer token once per request, decorates `request.session` /
 * `request.tessera`, writes the rotated cookie or `tessera-token` header (with `Cache-Control:
 * private, no-store`) before the reply goes out, and answers 503 when the store fails, here or
 * in a route declared after the plugin.
 *
 * @example
 * ```ts
 * await app.register(tessera, { sessions, trustedProxies: 1 });
 * app.get("/me", { preHandler: requireSession() }, (request) => ({ user: request.session!.userId }));
 * ```
 * @throws TesseraConfigError (at registration) for invalid options.
 */
export async function tessera(fastify: FastifyInstance, options: TesseraPluginOptions) {
  const { sessions, getDeviceId, onRefused, ...gateOptions } = options ?? ({} as never);
  const gate = createGate(sessions, gateOptions);
  const refuse = (answer: HttpAnswer, request: FastifyRequest, reply: FastifyReply) =>
    onRefused ? onRefused(answer, request, reply) : send(reply, answer);

  fastify.decorateRequest("session", null);
  fastify.decorateRequest("tessera", null as unknown as TesseraRequest);

  fastify.addHook("onRequest", async (request, reply) => {
    const headers = request.headers;
    const socket = request.raw.socket;
    const state = await gate.open({
      method: request.method,
      headers,
      remoteAddress: socket.remoteAddress,
      secure: (socket as { encrypted?: boolean }).encrypted === true,
      deviceId: getDeviceId?.(request),
      path: pathOf(request.url),
    });
    if (state.refusal) return refuse(state.refusal, request, reply);
    request.session = state.session;
    request.tessera = state;
    state.onSessionChange = (session) => {
      request.session = session;
    };
    // A DBSC route, answered by the gate itself (its cookie goes out in onSend like any other).
    if (state.served) return send(reply, state.served);
  });

  // Callback style, not async: on most responses there is nothing to write, and an async hook
  // costs Fastify's hook runner a promise and a microtask per request for that nothing.
  fastify.addHook("onSend", (request, reply, payload, done) => {
    try {
      const effects = stateOf(request)?.effects();
      if (effects) {
        for (const cookie of effects.cookies) reply.header("set-cookie", serializeCookie(cookie));
        for (const name in effects.headers) reply.header(name, effects.headers[name]);
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, payload);
  });

  // A store failure in a route handler is answered 503, whatever error handler the app sets.
  fastify.addHook("onRoute", (route) => {
    const handler = route.handler as (...args: unknown[]) => unknown;
    const settle = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const answer = gate.answerForError(error);
      if (!answer) throw error;
      return refuse(answer, request, reply);
    };
    route.handler = function tesseraRoute(this: FastifyInstance, request, reply) {
      let result: unknown;
      try {
        result = handler.call(this, request, reply);
      } catch (error) {
        return settle(error, request, reply);
      }
      return result instanceof Promise
        ? result.then(undefined, (error: unknown) => settle(error, request, reply))
        : result;
    } as RouteHandlerMethod;
  });
}

/** The path of a request URL: everything before its query string. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

// Not encapsulated: the hooks and decorators apply to the app that registers the plugin (what
// fastify-plugin does, without the dependency).
Object.assign(tessera, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "@tessera/fastify",
});

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a 401 / 403 refusal (e.g. redirect to a login page).
   * @defaultValue the JSON answer
   */
  onRefused?: OnRefused;
}

function guard(level: "session" | "fresh", options: GuardOptions, name: string) {
  const { onRefused } = options;
  const handler: preHandlerAsyncHookHandler = async function requireTesseraSession(request, reply) {
    const state = stateOf(request);
    if (!state) {
      throw new TesseraConfigError(
        `${name}() needs the Tessera plugin registered before the route`,
      );
    }
    const refusal = state.require(level);
    if (refusal) return onRefused ? onRefused(refusal, request, reply) : send(reply, refusal);
  };
  return handler;
}

/**
 * A preHandler: only with a valid session; otherwise 401 `{ error: "unauthenticated", reason? }`.
 *
 * @example
 * ```ts
 * app.get("/me", { preHandler: requireSession() }, async (request) => ({ user: request.session!.userId }));
 * app.get("/account", { preHandler: requireSession({ onRefused: (_a, _r, reply) => reply.redirect("/login") }) }, page);
 * ```
 */
export function requireSession(options: GuardOptions = {}): preHandlerAsyncHookHandler {
  return guard("session", options, "requireSession");
}

/**
 * A preHandler: only with a fresh session (a login or step-up within `freshFor`); 401 without a
 * session, 403 `{ error: "not-fresh" }` when stale. `request.tessera.reauthenticate()` after a
 * password check makes the session fresh again.
 *
 * @example
 * ```ts
 * app.post("/password", { preHandler: requireFresh() }, changePassword); // 403 not-fresh after freshFor
 * ```
 */
export function requireFresh(options: GuardOptions = {}): preHandlerAsyncHookHandler {
  return guard("fresh", options, "requireFresh");
}
