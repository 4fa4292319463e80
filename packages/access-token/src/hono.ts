/**
 * Hono adapter: the token endpoint, the JWK Set endpoint and a bearer guard as Hono handlers, with
 * `c.var.accessToken` typed. It needs only `@tessera/core` sessions, not a session middleware.
 */
import type { RequestSession } from "@tessera/core/http";
import type { Context, Handler, MiddlewareHandler } from "hono";
import type { AccessTokenClaims } from "./claims.js";
import {
  type AccessTokenGuardOptions,
  answerJwksRequest,
  checkGuardOptions,
  checkJwksEndpoint,
  createTokenExchange,
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
   * The peer address of a request's connection, for the session's IP binding. Elsewhere than
   * @hono/node-server pass it, e.g. with `getConnInfo` from your runtime's Hono adapter.
   * @defaultValue the socket's address on @hono/node-server, else unknown
   */
  remoteAddress?: (c: Context) => string | null | undefined;
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

/** The state `@tessera/hono` left on the context, if it is mounted. */
function mountedState(c: Context): RequestSession | null {
  const state: unknown = c.get("tessera" as never);
  return state && typeof state === "object" && "require" in state
    ? (state as RequestSession)
    : null;
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
  const exchange = createTokenExchange(options);
  const remoteAddress = options.remoteAddress ?? nodePeerAddress;
  return async function tokenEndpoint(c) {
    const url = new URL(c.req.url);
    const state = await exchange.open(
      {
        method: c.req.method,
        header: (name) => c.req.header(name),
        remoteAddress: remoteAddress(c),
        secure: url.protocol === "https:",
        path: url.pathname,
      },
      mountedState(c),
    );
    return toResponse(await exchange.answer(state, c.req.method), c.req.method);
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
