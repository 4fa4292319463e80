/**
 * Express adapter (Express 4 and 5): the token endpoint, the JWK Set endpoint and a bearer guard
 * as Express handlers. It needs only `@tessera/core` sessions, not a session middleware.
 */
import type { ClientInfo } from "@tessera/core";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { AccessTokenClaims } from "./claims.js";
import {
  type AccessTokenGuardOptions,
  answerJwksRequest,
  answerTokenRequest,
  checkGuardOptions,
  checkJwksEndpoint,
  checkTokenEndpointOptions,
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

/** Options of the Express `tokenEndpoint`. */
export interface ExpressTokenEndpointOptions extends TokenEndpointOptions {
  /**
   * The client of a request.
   * @defaultValue `{ ip: req.ip, userAgent }` (set `trust proxy` as needed)
   */
  client?: (req: Request) => ClientInfo;
}

function header(req: Request, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function defaultClient(req: Request): ClientInfo {
  const client: ClientInfo = {};
  if (req.ip) client.ip = req.ip;
  const userAgent = header(req, "user-agent");
  if (userAgent) client.userAgent = userAgent;
  return client;
}

function send(res: Response, answer: HttpAnswer, method: string): void {
  res.statusCode = answer.status;
  for (const [name, value] of answer.headers) res.setHeader(name, value);
  res.end(method.toUpperCase() === "HEAD" ? undefined : answer.body);
}

/**
 * `app.post("/auth/token", tokenEndpoint({ sessions, tokens }))`: trades the request's session
 * (cookie or bearer) for an access token. Store outages answer 503; other errors go to `next`.
 *
 * @example
 * ```ts
 * app.post("/auth/token", tokenEndpoint({ sessions, tokens }));
 * ```
 */
export function tokenEndpoint(options: ExpressTokenEndpointOptions): RequestHandler {
  checkTokenEndpointOptions(options);
  const clientOf = options.client ?? defaultClient;
  return function tokenEndpoint(req: Request, res: Response, next: NextFunction) {
    answerTokenRequest(options, {
      method: req.method,
      header: (name) => header(req, name),
      host: header(req, "host"),
      client: clientOf(req),
    }).then((answer) => send(res, answer, req.method), next);
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
