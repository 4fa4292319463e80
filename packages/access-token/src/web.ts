/**
 * The token endpoint, JWK Set endpoint and bearer guard on the Web `Request`/`Response` API:
 * usable as they are in Hono, Next.js route handlers, Deno, Bun, workers and any fetch-style server.
 */

import { TesseraConfigError } from "@tessera/core";
import type { AccessTokenClaims } from "./claims.js";
import {
  type AccessTokenGuardOptions,
  answerJwksRequest,
  checkGuardOptions,
  checkJwksEndpoint,
  createTokenExchange,
  guardRequest,
  type HttpAnswer,
  type TokenEndpointOptions,
} from "./http.js";
import type { AccessTokens } from "./issuer.js";
import type { Verifier } from "./verifier.js";

/** Options of the Web `tokenEndpoint`. */
export interface WebTokenEndpointOptions extends TokenEndpointOptions {
  /**
   * The peer address of a request's connection, for the session's IP binding. The Web API has
   * none: pass your runtime's (Bun's `server.requestIP(request)`, Deno's `info.remoteAddr`).
   * @defaultValue unknown (a soft IP binding then compares nothing)
   */
  remoteAddress?: (request: Request) => string | null | undefined;
}

/** The verified claims, or the `Response` (401/503) to send instead. */
export type AccessTokenGuardResult =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; response: Response };

/** Builds a Web `Response` from an answer. */
export function toResponse(answer: HttpAnswer, method = "GET"): Response {
  const headers = new Headers();
  for (const [name, value] of answer.headers) headers.append(name, value);
  return new Response(method.toUpperCase() === "HEAD" ? null : answer.body, {
    status: answer.status,
    headers,
  });
}

/**
 * A `POST` handler that trades the request's session (cookie or bearer) for an access token:
 * 200 `{ access_token, token_type: "Bearer", expires_in }`. See the README for every status.
 *
 * ```ts
 * const exchange = tokenEndpoint({ sessions, tokens, remoteAddress: (req) => server.requestIP(req)?.address });
 * Bun.serve({ fetch: (request) => exchange(request) });
 * ```
 *
 * @example
 * ```ts
 * const handle = tokenEndpoint({ sessions, tokens });
 * // POST /auth/token with the session cookie → { access_token, token_type, expires_in }
 * ```
 */
export function tokenEndpoint(
  options: WebTokenEndpointOptions,
): (request: Request) => Promise<Response> {
  const exchange = createTokenExchange(options);
  const remoteAddress = options.remoteAddress;
  if (remoteAddress !== undefined && typeof remoteAddress !== "function") {
    throw new TesseraConfigError("tokenEndpoint: remoteAddress must be a function of the request");
  }
  return async function tokenEndpoint(request) {
    const url = new URL(request.url);
    const state = await exchange.open({
      method: request.method,
      header: (name) => request.headers.get(name),
      remoteAddress: remoteAddress?.(request),
      secure: url.protocol === "https:",
      path: url.pathname,
    });
    return toResponse(await exchange.answer(state, request.method), request.method);
  };
}

/**
 * A `GET` handler serving the issuer's public JWK Set (`/.well-known/jwks.json`), cacheable for
 * `maxAge` seconds (default 300). Keep `maxAge` below the wait of the rotation procedure.
 *
 * @example
 * ```ts
 * const jwks = jwksEndpoint(tokens, { maxAge: 300 }); // GET /.well-known/jwks.json
 * ```
 */
export function jwksEndpoint(
  tokens: AccessTokens,
  options: { maxAge?: number } = {},
): (request: Request) => Response {
  const maxAge = checkJwksEndpoint(tokens, options.maxAge);
  return function jwksEndpoint(request) {
    return toResponse(answerJwksRequest(tokens, request.method, maxAge), request.method);
  };
}

/**
 * Verifies the `Authorization: Bearer` access token of a request, for a downstream service.
 *
 * ```ts
 * const guard = accessTokenGuard(verifier);
 * const auth = await guard(request);
 * if (!auth.ok) return auth.response;
 * ```
 *
 * @example
 * ```ts
 * const guard = accessTokenGuard(verifier);
 * const checked = await guard(request);
 * if (!checked.ok) return checked.response; // 401 with WWW-Authenticate, or 503
 * ```
 */
export function accessTokenGuard(
  verifier: Verifier,
  options: AccessTokenGuardOptions = {},
): (request: Request) => Promise<AccessTokenGuardResult> {
  checkGuardOptions(verifier, options);
  return async function accessTokenGuard(request) {
    const outcome = await guardRequest(verifier, request.headers.get("authorization"), options);
    if (outcome.ok) return outcome;
    return { ok: false, response: toResponse(outcome.answer, request.method) };
  };
}

/**
 * Wraps a fetch-style handler so it runs only with a valid access token, receiving its claims.
 *
 * ```ts
 * export default { fetch: withAccessToken(verifier, (request, claims) => Response.json({ user: claims.sub })) };
 * ```
 *
 * @example
 * ```ts
 * export const GET = withAccessToken(verifier, (request, claims) => Response.json({ user: claims.sub }));
 * ```
 */
export function withAccessToken(
  verifier: Verifier,
  handler: (request: Request, claims: AccessTokenClaims) => Response | Promise<Response>,
  options: AccessTokenGuardOptions = {},
): (request: Request) => Promise<Response> {
  const guard = accessTokenGuard(verifier, options);
  return async function withAccessToken(request) {
    const auth = await guard(request);
    return auth.ok ? handler(request, auth.claims) : auth.response;
  };
}
