/** Route guards (`requireSession`, `requireFresh`) and the error handler for store outages. */
import {
  type GuardRefusal,
  guardSession,
  storeFailureAnswer,
  TesseraConfigError,
} from "@tessera/core";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { stateOf } from "./middleware.js";

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a refused request (e.g. redirect to a login page). Default: the refusal's status
   * (401 without a session, 403 when not fresh) with its JSON body.
   */
  onRefused?: (refusal: GuardRefusal, req: Request, res: Response, next: NextFunction) => void;
}

function guard(needFresh: boolean, options: GuardOptions, name: string): RequestHandler {
  const { onRefused } = options;
  return function requireTesseraSession(req, res, next) {
    const state = stateOf(req);
    if (!state) {
      next(
        new TesseraConfigError(`${name}() runs after app.use(tessera(sessions)); mount it first`),
      );
      return;
    }
    const refusal = guardSession(state, needFresh);
    if (!refusal) next();
    else if (onRefused) onRefused(refusal, req, res, next);
    else res.status(refusal.status).json(refusal.body);
  };
}

/**
 * Lets the request through only with a valid session; otherwise answers 401
 * `{ error: "unauthenticated", reason? }`. Mount after `tessera()`.
 */
export function requireSession(options: GuardOptions = {}): RequestHandler {
  return guard(false, options, "requireSession");
}

/**
 * Lets the request through only with a fresh session (a login or step-up within `freshFor`,
 * and no client change since): 401 without a session, 403 `{ error: "not-fresh" }` when stale.
 * Guard password changes, payments and the like with it.
 */
export function requireFresh(options: GuardOptions = {}): RequestHandler {
  return guard(true, options, "requireFresh");
}

/**
 * An error handler that answers 503 `{ error: "store-unavailable" }` when a route's
 * `login` / `logout` / `logoutEverywhere` (or any `sessions.*` call) failed because the store
 * is down, and passes every other error on. Mount it after your routes. Express 5 routes
 * rejected promises to it by itself; in Express 4 call `next(error)` from async handlers.
 */
export function storeErrorHandler(): ErrorRequestHandler {
  return function tesseraStoreErrors(error, _req, res, next) {
    const answer = storeFailureAnswer(error);
    if (!answer || res.headersSent) {
      next(error);
      return;
    }
    res.status(answer.status).json(answer.body);
  };
}
