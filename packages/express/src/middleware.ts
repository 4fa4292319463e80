/**
 * Express 4 and 5 on Tessera's request gate (`@tessera/core/http`). This file only translates:
 * Express's request into the gate's facts, the gate's answers and effects into Express's
 * response. Every decision (CSRF, tokens, rotation, refusals) is the gate's.
 */
import type { Session, Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import {
  answerForError,
  createGate,
  type GateOptions,
  type HttpAnswer,
  type LogoutEverywhereOptions,
  type RequestSession,
  type ServedAnswer,
  serializeCookie,
} from "@tessera/core/http";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";

declare global {
  namespace Express {
    interface Request {
      /**
       * The request's valid session, or `null` (set by `tessera()`). Conflicts with
       * express-session, which uses the same property: use one or the other.
       */
      session: Session | null;
      /** The request's session state and helpers (set by `tessera()`). */
      tessera: TesseraRequest;
    }
  }
}

/** `req.tessera`: the gate's request state; its helpers keep `req.session` up to date. */
export type TesseraRequest = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** Answers a refusal your own way (e.g. an HTML page or a redirect) instead of JSON. */
export type OnRefused = (
  answer: HttpAnswer,
  req: Request,
  res: Response,
  next: NextFunction,
) => void;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (req: Request) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a 401 / 403 refusal (e.g. redirect to a login page).
   * @defaultValue the JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/**
 * The request's checked state lives in `req.tessera` alone (a request keeps its hidden class
 * when no other property is added: adding symbol keys to Node's request object slowed every
 * property access on it). A second session manager in the same app keeps its state in a map
 * under one symbol, created only then.
 */
const OTHERS = Symbol("tessera.others");
type WithState = Request & {
  tessera?: TesseraRequest & RequestSession;
  [OTHERS]?: Map<Sessions, RequestSession>;
};

/** Writes an answer exactly as the gate gives it (no Express JSON helper, which adds headers). */
function send(res: Response, answer: ServedAnswer) {
  res.statusCode = answer.status;
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!);
  res.end(answer.body);
}

/** Writes the gate's cookie and headers onto a response whose head is not out yet. */
function writeEffects(res: Response, state: RequestSession) {
  const effects = state.effects();
  if (!effects || res.headersSent) return;
  if (effects.cookies.length > 0) {
    const existing = res.getHeader("set-cookie");
    const cookies =
      existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    for (const cookie of effects.cookies) cookies.push(serializeCookie(cookie));
    res.setHeader("set-cookie", cookies);
  }
  for (const name in effects.headers) res.setHeader(name, effects.headers[name]!);
}

/**
 * Adds the gate's cookie and headers at the last moment, after whatever the handler set. Only
 * a response that has something to carry is touched (a rotation, a login, a logout): the
 * common request wraps nothing.
 */
function writeEffectsOnHead(res: Response, state: RequestSession) {
  const writeHead = res.writeHead;
  res.writeHead = function tesseraWriteHead(this: Response, ...args: unknown[]) {
    writeEffects(this, state);
    return (writeHead as (...a: unknown[]) => Response).apply(this, args);
  } as Response["writeHead"];
}

function looksLikeExpressSession(value: unknown): boolean {
  return typeof (value as { regenerate?: unknown } | null)?.regenerate === "function";
}

/**
 * The Tessera middleware for Express 4 and 5: `app.use(tessera(sessions))`. Refuses unsafe
 * cross-site requests (403), validates the cookie or bearer token once per request (however
 * often it is mounted), sets `req.session` / `req.tessera`, and writes the rotated cookie or
 * `tessera-token` header (with `Cache-Control: private, no-store`) when the response starts.
 * A store outage answers 503, never "logged out".
 *
 * @example
 * ```ts
 * app.use(tessera(sessions, { trustedProxies: 1 }));
 * app.get("/me", requireSession(), (req, res) => res.json({ user: req.session!.userId }));
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tessera(sessions: Sessions, options: TesseraOptions = {}): RequestHandler {
  const gate = createGate(sessions, options);
  const { getDeviceId, onRefused } = options;

  function open(req: Request): Promise<RequestSession> {
    if (looksLikeExpressSession(req.session)) {
      return Promise.reject(
        new TesseraConfigError(
          "req.session is already set by express-session; Tessera uses req.session too, use one",
        ),
      );
    }
    return gate.open({
      method: req.method,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      secure: (req.socket as { encrypted?: boolean }).encrypted === true,
      deviceId: getDeviceId?.(req),
      path: req.path,
    });
  }

  /** The state this manager already checked for this request (a router mounted twice). */
  function known(req: WithState): RequestSession | undefined {
    const current = req.tessera;
    if (current === undefined) return undefined;
    if (current.sessions === sessions) return current;
    return req[OTHERS]?.get(sessions);
  }

  function activate(req: WithState, state: RequestSession) {
    const current = req.tessera;
    if (current !== undefined && current !== state && current.sessions !== sessions) {
      // Another manager checked this request first: keep its state for its own routes.
      const others = req[OTHERS] ?? new Map<Sessions, RequestSession>();
      req[OTHERS] = others;
      others.set(current.sessions, current);
      others.set(sessions, state);
    }
    req.session = state.session;
    req.tessera = state;
  }

  return function tessera(req, res, next) {
    const memo = req as WithState;
    const checked = known(memo);
    if (checked) {
      activate(memo, checked);
      next();
      return;
    }
    // Express 4 ignores a returned promise, so failures are routed to next() here.
    open(req).then((state) => {
      if (state.refusal) {
        if (onRefused) onRefused(state.refusal, req, res, next);
        else send(res, state.refusal);
        return;
      }
      if (state.served) {
        // A DBSC route, answered by the gate itself.
        writeEffects(res, state);
        send(res, state.served);
        return;
      }
      let wrapped = state.effects() !== null;
      if (wrapped) writeEffectsOnHead(res, state);
      state.onSessionChange = (session) => {
        req.session = session;
        if (!wrapped) {
          wrapped = true;
          writeEffectsOnHead(res, state);
        }
      };
      activate(memo, state);
      next();
    }, next);
  };
}

function guard(level: "session" | "fresh", options: GuardOptions, name: string): RequestHandler {
  const { onRefused } = options;
  return function requireTesseraSession(req, res, next) {
    const state = (req as WithState).tessera;
    if (!state) {
      next(
        new TesseraConfigError(`${name}() runs after app.use(tessera(sessions)); mount it first`),
      );
      return;
    }
    const refusal = state.require(level);
    if (!refusal) next();
    else if (onRefused) onRefused(refusal, req, res, next);
    else send(res, refusal);
  };
}

/**
 * Lets the request through only with a valid session; otherwise 401 `{ error: "unauthenticated", reason? }`.
 *
 * @example
 * ```ts
 * app.get("/me", requireSession(), (req, res) => res.json({ user: req.session!.userId }));
 * app.get("/account", requireSession({ onRefused: (_answer, _req, res) => res.redirect("/login") }), page);
 * ```
 */
export function requireSession(options: GuardOptions = {}): RequestHandler {
  return guard("session", options, "requireSession");
}

/**
 * Lets the request through only with a fresh session (a login or step-up within `freshFor`):
 * 401 without a session, 403 `{ error: "not-fresh" }` when stale. Guard password changes,
 * payments and the like with it; `req.tessera.reauthenticate()` after a password check makes
 * the session fresh again.
 *
 * @example
 * ```ts
 * app.post("/password", requireFresh(), changePassword); // 403 { error: "not-fresh" } after freshFor
 * ```
 */
export function requireFresh(options: GuardOptions = {}): RequestHandler {
  return guard("fresh", options, "requireFresh");
}

/**
 * An error handler answering 503 `{ error: "store-unavailable" }` when a route's `login`,
 * `logout`, ... (or any `sessions.*` call) failed because the store is down or a write kept
 * losing its race; every other error goes on. Mount it after your routes. Express 5 passes
 * rejected promises to it; in Express 4 call `next(error)` from async handlers.
 *
 * @example
 * ```ts
 * app.use(tessera(sessions));
 * // ... routes ...
 * app.use(storeErrorHandler()); // after the routes: 503 for a store failure in login / logout
 * ```
 */
export function storeErrorHandler(): ErrorRequestHandler {
  return function tesseraStoreErrors(error, req, res, next) {
    const state = (req as WithState).tessera;
    const answer = state ? state.answerForError(error) : answerForError(error);
    if (!answer || res.headersSent) next(error);
    else send(res, answer);
  };
}
