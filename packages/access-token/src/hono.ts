/**
 * Hono adapter: the token endpoint, the JWK Set endpoint and a bearer guard as Hono handlers, with
 * `c.var.accessToken` typed. It needs only `@tessera/core` sessions, not a session middleware.
 */
import type { ClientInfo } from "@tessera/core";
import type { Context, Handler, MiddlewareHandler } from "hono";
import type { AccessTokenClaims } from "./claims.js";
import {
  type AccessTokenGuardOptions,
  answerJwksRequest,
  answerTokenRequest,
  checkGuardOptions,
  checkJwksEndpoint,
  checkTokenEndpointOptions,
  guardRequest,
  type TokenEndpointOptions,
} from "./http.js";
import type { AccessTokens } from "./issuer.js";
import type { Verifier } from "./verifier.js";
import { toResponse } from "./web.js";

export type { AccessTokenClaims, AccessTokenGuardOptions, TokenEndpointOptions };

/** The context variables `requireAccessToken` sets: `c.var.accessToken`. */
export interface AccessTokenVariables {
  accessToken: AccessTokenClaims;
}

/** Options of the Hono `tokenEndpoint`. */
export interface HonoTokenEndpointOptions extends TokenEndpointOptions {
  /**
   * The client of a request. Elsewhere than @hono/node-server pass it, e.g. with
   * `getConnInfo` from your runtime's Hono adapter.
   * @defaultValue the user agent, plus the peer IP on @hono/node-server
   */
  client?: (c: Context) => ClientInfo;
}

/** The socket address @hono/node-server exposes as `c.env.incoming`; `undefined` elsewhere. */
function nodePeerAddress(c: Context): string | undefined {
  const env: unknown = c.env;
  if (!env || typeof env !== "object" || !("incoming" in env)) return undefined;
  const incoming: unknown = env.incoming;
  if (!incoming || typeof incoming !== "object" || !("socket" in incoming)) return undefined;
  const socket: unknown = incoming.socket;
  if (!socket || typeof socket !== "object" || !("remoteAddress" in socket)) return undefined;
  return typeof socket.remoteAddress === "string" ? socket.remoteAddress : undefined;
}

function defaultClient(c: Context): ClientInfo {
  const client: ClientInfo = {};
  const ip = nodePeerAddress(c);
  if (ip) client.ip = ip;
  const userAgent = c.req.header("user-agent");
  if (userAgent) client.userAgent = userAgent;
  return client;
}

function hostOf(c: Context): string | null {
  try {
    return new URL(c.req.url).host;
  } catch {
    return c.req.header("host") ?? null;
  }
}

/**
 * `app.post("/auth/token", tokenEndpoint({ sessions, tokens }))`: a session in, an access token out.
 *
 * @example
 * ```ts
 * app.post("/auth/token", tokenEndpoint({ sessions, tokens, claims: (s) => ({ role: s.data.role }) }));
 * ```
 */
export function tokenEndpoint(options: HonoTokenEndpointOptions): Handler {
  checkTokenEndpointOptions(options);
  const clientOf = options.client ?? defaultClient;
  return async function tokenEndpoint(c) {
    const answer = await answerTokenRequest(options, {
      method: c.req.method,
      header: (name) => c.req.header(name),
      host: hostOf(c),
      client: clientOf(c),
    });
    return toResponse(answer, c.req.method);
  };
}

/**
 * `app.get("/.well-known/jwks.json", jwksEndpoint(tokens))`: the public JWK Set.
 *
 * @example
 * ```ts
 * app.get("/.well-known/jwks.json", jwksEndpoint(tokens));
 * ```
 */
export function jwksEndpoint(tokens: AccessTokens, options: { maxAge?: number } = {}): Handler {
  const maxAge = checkJwksEndpoint(tokens, options.maxAge);
  return function jwksEndpoint(c) {
    return toResponse(answerJwksRequest(tokens, c.req.method, maxAge), c.req.method);
  };
}

/**
 * Middleware of a downstream service: verifies `Authorization: Bearer` and sets
 * `c.var.accessToken`, or answers 401 (with a `WWW-Authenticate` challenge) or 503.
 *
 * @example
 * ```ts
 * api.use("/orders/*", requireAccessToken(verifier));
 * api.get("/orders", (c) => c.json({ user: c.var.accessToken.sub }));
 * ```
 */
export function requireAccessToken(
  verifier: Verifier,
  options: AccessTokenGuardOptions = {},
): MiddlewareHandler<{ Variables: AccessTokenVariables }> {
  checkGuardOptions(verifier, options);
  return async function requireAccessToken(c, next) {
    const outcome = await guardRequest(verifier, c.req.header("authorization"), options);
    if (!outcome.ok) return toResponse(outcome.answer, c.req.method);
    c.set("accessToken", outcome.claims);
    await next();
  };
}
