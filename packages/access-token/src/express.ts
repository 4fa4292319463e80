/**
 * Express adapter (Express 4 and 5): the token endpoint, the JWK Set endpoint and a bearer guard
 * as Express handlers. It needs only `@tessera/core` sessions, not a session middleware.
 */
import type { RequestSession } from "@tessera/core/http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
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

declare global {
  namespace Express {
    interface Request {
      /** The verified access-token claims, set by `requireAccessToken`. */
      accessToken?: AccessTokenClaims;
    }
  }
}

export type { AccessTokenClaims, AccessTokenGuardOptions, TokenEndpointOptions };

function header(req: Request, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** The state `@tessera/express` left on the request, if it is mounted. */
function mountedState(req: Request): RequestSession | null {
  const state = (req as { tessera?: unknown }).tessera;
  return state && typeof state === "object" && "require" in state
    ? (state as RequestSession)
    : null;
}

function send(res: Response, answer: HttpAnswer, method: string): void {
  res.statusCode = answer.status;
  for (const [name, value] of answer.headers) res.setHeader(name, value);
  res.end(method.toUpperCase() === "HEAD" ? undefined : answer.body);
}

/**
 * `app.post("/auth/token", tokenEndpoint({ sessions, tokens }))`: trades the request's session
 * (cookie or bearer) for an access token, behind the request gate (the one of `tessera()` when it
 * is mounted, else the endpoint's own). Store outages answer 503; other errors go to `next`.
 *
 * @example
 * ```ts
 * app.post("/auth/token", tokenEndpoint({ sessions, tokens }));
 * ```
 */
export function tokenEndpoint(options: TokenEndpointOptions): RequestHandler {
  const exchange = createTokenExchange(options);
  return function tokenEndpoint(req: Request, res: Response, next: NextFunction) {
    exchange
      .open(
        {
          method: req.method,
          headers: req.headers,
          remoteAddress: req.socket.remoteAddress,
          secure: (req.socket as { encrypted?: boolean }).encrypted === true,
          path: req.path,
        },
        mountedState(req),
      )
      .then((state) => exchange.answer(state, req.method))
      .then((answer) => send(res, answer, req.method), next);
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
export function jwksEndpoint(
  tokens: AccessTokens,
  options: { maxAge?: number } = {},
): RequestHandler {
  const maxAge = checkJwksEndpoint(tokens, options.maxAge);
  return function jwksEndpoint(req: Request, res: Response) {
    send(res, answerJwksRequest(tokens, req.method, maxAge), req.method);
  };
}

/**
 * Middleware of a downstream service: verifies `Authorization: Bearer`, sets `req.accessToken`,
 * or answers 401 (with a `WWW-Authenticate` challenge) or 503.
 *
 * @example
 * ```ts
 * service.get("/orders", requireAccessToken(verifier), (req, res) => res.json({ user: req.accessToken!.sub }));
 * ```
 */
export function requireAccessToken(
  verifier: Verifier,
  options: AccessTokenGuardOptions = {},
): RequestHandler {
  checkGuardOptions(verifier, options);
  return function requireAccessToken(req: Request, res: Response, next: NextFunction) {
    guardRequest(verifier, header(req, "authorization"), options).then((outcome) => {
      if (!outcome.ok) return send(res, outcome.answer, req.method);
      req.accessToken = outcome.claims;
      next();
    }, next);
  };
}
