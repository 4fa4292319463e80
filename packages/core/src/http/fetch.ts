/**
 * The gate's answers and effects on the Fetch API's `Response` and `Headers`, for integrations
 * on Web-standard frameworks (Hono, Next.js, SvelteKit, Astro, ...): written once here, so none
 * carries a copy.
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
 * Writes the effects onto `headers`: each cookie appended as `Set-Cookie` (never replacing the
 * handler's own cookies), each header set, replacing the handler's value (`cache-control`).
 */
export function writeEffects(headers: Headers, effects: ResponseEffects | null): void {
  if (!effects) return;
  for (const cookie of effects.cookies) headers.append("set-cookie", serializeCookie(cookie));
  for (const name in effects.headers) headers.set(name, effects.headers[name]!);
}
