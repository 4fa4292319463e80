/** Route handlers, on the Node.js and Edge runtimes: the session state, the gate's answers. */
import { type Sessions, TesseraConfigError } from "@tessera/core";
import { type RequestSession, answerResponse as toResponse } from "@tessera/core/http";
import { applyEffects, nextGate, type TesseraNextOptions } from "./request.js";

/** The session state a wrapped route handler receives, with `login`, `logout`, .... */
export type RouteSession = Omit<
  RequestSession,
  "refusal" | "effects" | "onSessionChange" | "checked"
>;

/** Options of `withSession`. */
export interface WithSessionOptions extends TesseraNextOptions {
  /** Answer 401 without a session, or (`"fresh"`) 403 when not fresh. @defaultValue none */
  require?: "session" | "fresh";
}

/** A route handler that receives the session state before Next.js's own context argument. */
export type SessionRouteHandler<Context> = (
  request: Request,
  tessera: RouteSession,
  context: Context,
) => Response | Promise<Response>;

const NO_STORE = { cookies: [], headers: { "cache-control": "private, no-store" } };
/**
 * Wraps a route handler: the session of the proxy's verdict, else of one validation here.
 *
 * @example
 * ```ts
 * export const POST = withSession(sessions, async (request, tessera) => {
 *   const { token } = await tessera.login((await request.json()).userId);
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
  const next = nextGate(sessions, shared);
  if (required !== undefined && required !== "session" && required !== "fresh") {
    throw new TesseraConfigError('require must be "session" or "fresh"');
  }
  return async function handleWithSession(request, context) {
    const facts = next.facts(request.method, request.headers, new URL(request.url).pathname);
    const verdict = await next.verdict(request.headers);
    // With a verdict, the proxy already checked the origin, validated and wrote its cookie.
    const state = await next.state(verdict, facts);
    if (state.refusal) return toResponse(state.refusal);
    if (state.served) return applyEffects(toResponse(state.served), state.effects()); // DBSC
    let response: Response;
    try {
      const refusal = required ? state.require(required) : null;
      response = refusal ? toResponse(refusal) : await handler(request, state, context);
    } catch (error) {
      const answer = state.answerForError(error);
      if (!answer) throw error;
      response = toResponse(answer);
    }
    response = applyEffects(response, state.effects());
    // The proxy's response carried a token: the route's own caching must not keep it.
    const issued = verdict.status === "verified" && verdict.issued;
    return issued ? applyEffects(response, NO_STORE) : response;
  };
}
