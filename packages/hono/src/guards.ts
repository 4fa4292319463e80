/** Route guards: `requireSession` and `requireFresh`. */
import { type GuardRefusal, guardSession } from "@tessera/core";
import type { Context, MiddlewareHandler } from "hono";
import { stateOf, type TesseraEnv } from "./middleware.js";

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a refused request (e.g. redirect to a login page). Default: the refusal's status
   * (401 without a session, 403 when not fresh) with its JSON body.
   */
  onRefused?: (c: Context, refusal: GuardRefusal) => Response | Promise<Response>;
}

function guard(needFresh: boolean, options: GuardOptions, name: string) {
  const { onRefused } = options;
  const middleware: MiddlewareHandler<TesseraEnv> = async function requireTesseraSession(c, next) {
    const refusal = guardSession(stateOf(c, name), needFresh);
    if (!refusal) {
      await next();
      return;
    }
    return onRefused ? onRefused(c, refusal) : c.json(refusal.body, refusal.status);
  };
  return middleware;
}

/**
 * Lets the request through only with a valid session; otherwise answers 401
 * `{ error: "unauthenticated", reason? }`. Mount after `tessera()`.
 */
export const requireSession = (options: GuardOptions = {}): MiddlewareHandler<TesseraEnv> =>
  guard(false, options, "requireSession");

/**
 * Lets the request through only with a fresh session (a login or step-up within `freshFor`, and
 * no client change since): 401 without a session, 403 `{ error: "not-fresh" }` when stale.
 * Guard password changes, payments and the like with it.
 */
export const requireFresh = (options: GuardOptions = {}): MiddlewareHandler<TesseraEnv> =>
  guard(true, options, "requireFresh");
