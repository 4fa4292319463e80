/**
 * The Express middleware: CSRF origin check, one validate per request (memoised on the request,
 * however often the middleware is mounted), the rotated cookie or `tessera-token` header, and
 * `req.session` / `req.tessera`. The decisions themselves are core's (`@tessera/core` http.ts).
 */
import {
  type ClientInfo,
  type CreatedSession,
  type CrossSiteRefusal,
  createOriginCheck,
  crossSiteAnswer,
  type InvalidReason,
  isSessions,
  type RequestSession,
  ROTATED_TOKEN_HEADER,
  readRequestSession,
  type Session,
  type SessionData,
  type Sessions,
  storeFailureAnswer,
  TesseraConfigError,
} from "@tessera/core";
import type { NextFunction, Request, RequestHandler, Response } from "express";

declare global {
  namespace Express {
    interface Request {
      /**
       * The request's valid session, or `null` (set by `tessera()`). Conflicts with
       * express-session, which uses the same property: use one or the other.
       */
      session: Session | null;
      /** Login, logout and what the session check found (set by `tessera()`). */
      tessera: TesseraRequest;
    }
  }
}

/** `req.tessera`: the session helpers of one request. */
export interface TesseraRequest {
  /** The session manager this request was checked with. */
  readonly sessions: Sessions;
  /** The token identifying the current session (the rotated one if it rotated), or `null`. */
  readonly token: string | null;
  /** Where the request carried its token, `null` when it carried none. */
  readonly source: "cookie" | "bearer" | null;
  /** Why a presented token was refused (`"expired"`, `"reused"`, ...), else `null`. */
  readonly reason: InvalidReason | null;
  /**
   * Starts a session for `userId` after the application checked the credentials: revokes the
   * session the request already had (no session fixation), sets the cookie (and, for a bearer
   * client, the `tessera-token` header), and updates `req.session`. Returns the new session
   * and its token (hand the token to bearer clients in the response body).
   */
  login(userId: string, data?: SessionData): Promise<CreatedSession>;
  /** Revokes the current session and clears the cookie. Resolves `true` if a session ended. */
  logout(): Promise<boolean>;
  /**
   * Revokes every session of the current user: all of them by default, this one included
   * (the cookie is cleared), or all but this one with `{ keepCurrent: true }` ("log out
   * other devices"). Resolves to the number ended; 0 without a session.
   */
  logoutEverywhere(options?: LogoutEverywhereOptions): Promise<number>;
}

/** Options of `logoutEverywhere`. */
export interface LogoutEverywhereOptions {
  /** Keep the session of this request alive. Default `false`: end it too. */
  keepCurrent?: boolean;
}

/** Options of `tessera()`. */
export interface TesseraOptions {
  /**
   * Refuse unsafe cross-site requests (CSRF) by `Sec-Fetch-Site` / `Origin`. Default `true`.
   * Turn it off only when something else already does this check.
   */
  csrf?: boolean;
  /**
   * Other origins (`https://admin.example.com`) or hosts (`admin.example.com:8443`) whose
   * unsafe requests are accepted, e.g. a front end on another subdomain.
   */
  allowedOrigins?: readonly string[];
  /** Device id to bind the session to (e.g. from a header your app sets), if any. */
  getDeviceId?: (req: Request) => string | undefined;
  /** Answers a refused cross-site request. Default: 403 with a JSON body. */
  onCrossSite?: (
    refusal: CrossSiteRefusal,
    req: Request,
    res: Response,
    next: NextFunction,
  ) => void;
  /**
   * Answers a request whose session could not be checked because the store failed. Default:
   * 503 with a JSON body. Never treat this as "logged out".
   */
  onStoreUnavailable?: (error: unknown, req: Request, res: Response, next: NextFunction) => void;
}

/** What one request's session check found and which response headers Tessera owns. */
class RequestState {
  /** The `Set-Cookie` value Tessera appended, so that a later login/logout replaces only it. */
  sentCookie: string | null = null;
  session: Session | null;
  token: string | null;
  source: "cookie" | "bearer" | null;
  reason: InvalidReason | null;

  constructor(
    readonly sessions: Sessions,
    found: RequestSession,
    readonly client: ClientInfo,
  ) {
    this.session = found.session;
    this.token = found.token;
    this.source = found.source;
    this.reason = found.reason;
  }
}

/**
 * Per-request memo, kept under symbols on the request object itself (cheaper than WeakMaps on
 * the hot path): the checked sessions per session manager, behind "one validate per request",
 * and the state `req.tessera` and the guards act on (the innermost mount's).
 */
const CHECKED = Symbol("tessera.checked");
const ACTIVE = Symbol("tessera.active");

interface Memo {
  [CHECKED]?: Map<Sessions, RequestState>;
  [ACTIVE]?: RequestState;
}

const memo = (req: Request) => req as Request & Memo;

/** The session state of a request, for the guards; `undefined` if `tessera()` did not run. */
export function stateOf(req: Request): Pick<RequestState, "session" | "reason"> | undefined {
  return memo(req)[ACTIVE];
}

function setCookieList(res: Response): string[] {
  const value = res.getHeader("Set-Cookie");
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** Swaps the cookie Tessera set earlier for `next`, leaving the application's cookies alone. */
function replaceCookie(res: Response, state: RequestState, next: string) {
  const cookies = setCookieList(res);
  const previous = state.sentCookie === null ? -1 : cookies.indexOf(state.sentCookie);
  if (previous !== -1) cookies.splice(previous, 1);
  cookies.push(next);
  res.setHeader("Set-Cookie", cookies);
  state.sentCookie = next;
}

class RequestHelpers implements TesseraRequest {
  constructor(
    readonly state: RequestState,
    readonly req: Request,
    readonly res: Response,
  ) {}

  get sessions() {
    return this.state.sessions;
  }
  get token() {
    return this.state.token;
  }
  get source() {
    return this.state.source;
  }
  get reason() {
    return this.state.reason;
  }

  async login(userId: string, data?: SessionData): Promise<CreatedSession> {
    const { state, res } = this;
    // A session the request already carries never survives a login: whoever planted or shared
    // it must not end up holding the freshly authenticated session.
    if (state.session) await state.sessions.revoke(state.session.id);
    this.#forget();
    const created = await state.sessions.create({
      userId,
      ...(data !== undefined ? { data } : {}),
      client: state.client,
    });
    replaceCookie(
      res,
      state,
      state.sessions.cookie.serialize(created.token, created.session.expiresAt),
    );
    if (state.source === "bearer") res.setHeader(ROTATED_TOKEN_HEADER, created.token);
    state.session = created.session;
    state.token = created.token;
    state.source = state.source ?? "cookie";
    this.req.session = created.session;
    return created;
  }

  async logout(): Promise<boolean> {
    const { state } = this;
    const ended = state.session ? await state.sessions.revoke(state.session.id) : false;
    this.#forget();
    return ended;
  }

  async logoutEverywhere(options: LogoutEverywhereOptions = {}): Promise<number> {
    const { state } = this;
    const current = state.session;
    if (!current) return 0;
    const keep = options.keepCurrent === true;
    const ended = await state.sessions.revokeAll(
      current.userId,
      keep ? { except: current.id } : undefined,
    );
    if (!keep) this.#forget();
    return ended;
  }

  /** The request has no session any more: clear the cookie and drop a rotated bearer token. */
  #forget() {
    const { state, res } = this;
    replaceCookie(res, state, state.sessions.cookie.blank());
    res.removeHeader(ROTATED_TOKEN_HEADER);
    state.session = null;
    state.token = null;
    state.reason = null;
    this.req.session = null;
  }
}

/**
 * The host the request was sent to, trusting `X-Forwarded-Host` exactly when Express itself
 * would (the app's "trust proxy" setting), port included: Express 4's `req.hostname` drops it.
 */
function requestHost(req: Request): string | undefined {
  const trust = req.app.get("trust proxy fn") as
    | ((address: string | undefined, hop: number) => boolean)
    | undefined;
  const forwarded = req.get("x-forwarded-host");
  if (forwarded && typeof trust === "function" && trust(req.socket.remoteAddress, 0)) {
    return forwarded.split(",")[0]!.trim();
  }
  return req.get("host");
}

function looksLikeExpressSession(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { regenerate?: unknown }).regenerate === "function"
  );
}

/**
 * The Tessera middleware for Express 4 and 5: `app.use(tessera(sessions))`. On each request it
 * refuses unsafe cross-site requests (403), validates the cookie or bearer token once, appends
 * the rotated `Set-Cookie` (or sets the `tessera-token` header for bearer clients), and sets
 * `req.session` and `req.tessera`. A store outage answers 503, never "logged out".
 * Throws `TesseraConfigError` for bad options.
 */
export function tessera(sessions: Sessions, options: TesseraOptions = {}): RequestHandler {
  if (!isSessions(sessions)) {
    throw new TesseraConfigError("tessera() needs the sessions returned by createSessions()");
  }
  if (options.csrf === false && options.allowedOrigins !== undefined) {
    throw new TesseraConfigError("allowedOrigins has no effect with csrf: false; drop one");
  }
  const checkOrigin = options.csrf === false ? null : createOriginCheck(options.allowedOrigins);
  const { getDeviceId, onCrossSite, onStoreUnavailable } = options;

  /** Resolves `true` when the request may go on to the next handler. */
  async function run(req: Request, res: Response, next: NextFunction): Promise<boolean> {
    if (checkOrigin) {
      const refusal = checkOrigin({
        method: req.method,
        origin: req.headers.origin,
        secFetchSite: req.get("sec-fetch-site"),
        // Read only when the check needs it (never for GET): the trust-proxy lookup costs.
        get host() {
          return requestHost(req);
        },
      });
      if (refusal) {
        if (onCrossSite) onCrossSite(refusal, req, res, next);
        else {
          const answer = crossSiteAnswer(refusal);
          res.status(answer.status).json(answer.body);
        }
        return false;
      }
    }
    const memoised = memo(req);
    let perManager = memoised[CHECKED];
    let state = perManager?.get(sessions);
    if (!state) {
      if (looksLikeExpressSession(req.session)) {
        throw new TesseraConfigError(
          "req.session is already set by express-session; Tessera uses req.session too, use one",
        );
      }
      const deviceId = getDeviceId?.(req);
      const ip = req.ip;
      const userAgent = req.headers["user-agent"];
      const client: ClientInfo = {
        ...(ip ? { ip } : {}),
        ...(userAgent ? { userAgent } : {}),
        ...(deviceId ? { deviceId } : {}),
      };
      let found: RequestSession;
      try {
        found = await readRequestSession(
          sessions,
          { cookie: req.headers.cookie, authorization: req.headers.authorization },
          client,
        );
      } catch (error) {
        const answer = storeFailureAnswer(error);
        if (!answer) throw error;
        if (onStoreUnavailable) onStoreUnavailable(error, req, res, next);
        else res.status(answer.status).json(answer.body);
        return false;
      }
      state = new RequestState(sessions, found, client);
      if (found.setCookie) {
        res.append("Set-Cookie", found.setCookie);
        state.sentCookie = found.setCookie;
      }
      if (found.rotatedToken) res.setHeader(ROTATED_TOKEN_HEADER, found.rotatedToken);
      if (!perManager) {
        perManager = new Map();
        memoised[CHECKED] = perManager;
      }
      perManager.set(sessions, state);
    }
    memoised[ACTIVE] = state;
    req.session = state.session;
    req.tessera = new RequestHelpers(state, req, res);
    return true;
  }

  return function tessera(req, res, next) {
    // Express 4 ignores a returned promise, so failures are routed to next() here.
    run(req, res, next).then((proceed) => {
      if (proceed) next();
    }, next);
  };
}
