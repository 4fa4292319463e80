/**
 * Route handlers (`app/**\/route.ts`): a wrapper that hands the handler the request's session
 * state with its cookie-writing helpers, and answers like every Tessera integration (403
 * cross-site, 401/403 when a session is required, 503 on a store failure). Plain `Request` and
 * `Response`, so it runs on the Node.js and the Edge runtime.
 */
import type { Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import type { RequestSession } from "@tessera/core/http";
import { forwardedSession, resolveNextOptions, type TesseraNextOptions } from "./options.js";
import { applyEffects, nextFacts, toResponse } from "./request.js";

/** The session state a wrapped route handler receives, with `login`, `logout`, .... */
export type RouteSession = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** Options of `withSession`. */
export interface WithSessionOptions extends TesseraNextOptions {
  /**
   * Answer 401 without a session, or (`"fresh"`) 403 when not fresh.
   * @defaultValue none (no guard)
   */
  require?: "session" | "fresh";
}

/** A route handler that receives the session state before Next.js's own context argument. */
export type SessionRouteHandler<Context> = (
  request: Request,
  tessera: RouteSession,
  context: Context,
) => Response | Promise<Response>;

const NO_STORE = {
  setCookie: null,
  deviceCookie: null,
  headers: { "cache-control": "private, no-store" },
};

/**
 * Wraps a route handler. The session comes from the proxy's signed verdict when the proxy ran
 * for this request, else from one validation here (rotating and setting the cookie itself), so
 * routes outside the proxy's matcher work too.
 *
 * @example
 * ```ts
 * export const POST = withSession(sessions, async (request, tessera) => {
 *   const { userId } = await request.json();
 *   const { token } = await tessera.login(userId);
 *   return Response.json({ token });
 * });
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function withSession<Context = unknown>(
  sessions: Sessions,
  handler: SessionRouteHandler<Context>,
  options: WithSessionOptions = {},
): (request: Request, context: Context) => Promise<Response> {
  const { require: required, ...shared } = options;
  const resolved = resolveNextOptions(sessions, shared);
  if (required !== undefined && required !== "session" && required !== "fresh") {
    throw new TesseraConfigError('require must be "session" or "fresh"');
  }

  return async function handleWithSession(request, context) {
    const headers = request.headers;
    const facts = nextFacts(request.method, headers, request.url, resolved.getDeviceId?.(headers));
    const verdict = await forwardedSession(headers, resolved);
    // The proxy already checked the origin, validated and wrote its cookie.
    const state =
      verdict.status === "verified"
        ? resolved.gate.resume(verdict, facts)
        : await resolved.gate.open(facts);
    if (state.refusal) return toResponse(state.refusal);
    // A DBSC route (the proxy did not run for it), answered by the gate itself.
    if (state.served) return applyEffects(toResponse(state.served), state.effects());

    let response: Response;
    const refusal = required ? state.require(required) : null;
    if (refusal) response = toResponse(refusal);
    else {
      try {
        response = await handler(request, state, context);
      } catch (error) {
        const answer = resolved.gate.answerForError(error);
        if (!answer) throw error;
        response = toResponse(answer);
      }
    }
    response = applyEffects(response, state.effects());
    // The proxy's response carried a token: the route's own caching must not keep it.
    return verdict.status === "verified" && verdict.issued
      ? applyEffects(response, NO_STORE)
      : response;
  };
}
