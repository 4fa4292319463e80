/**
 * The gate's answers and effects on a Fetch `Response`, for integrations whose framework speaks
 * Request/Response (SvelteKit, Astro, React Router, ...): the same bytes everywhere, written once.
 */
import { serializeCookie } from "../cookie.js";
import type { HttpAnswer } from "./answers.js";
import type { ServedAnswer } from "./dbsc.js";
import type { ResponseEffects } from "./request-state.js";

/** The gate's answer (a refusal, or a DBSC route it served) as a `Response`, exactly as given. */
export function answerResponse(answer: HttpAnswer | ServedAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * `response` carrying the request's effects: each cookie appended as a `Set-Cookie` header
 * (`serializeCookie`), each header set (replacing the handler's). A response whose headers are
 * immutable (`Response.redirect`, a `fetch` result) is copied first. `null` effects: `response`
 * as it is.
 *
 * @example
 * ```ts
 * return withEffects(await next(), state.effects());
 * ```
 */
export function withEffects(response: Response, effects: ResponseEffects | null): Response {
  if (!effects) return response;
  const write = (target: Response) => {
    for (const cookie of effects.cookies)
      target.headers.append("set-cookie", serializeCookie(cookie));
    for (const name in effects.headers) target.headers.set(name, effects.headers[name]!);
    return target;
  };
  try {
    return write(response);
  } catch {
    // Immutable headers throw on the first write, before anything was written.
    return write(new Response(response.body, response));
  }
}
