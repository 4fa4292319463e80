/**
 * The Hono middleware and the login/logout helpers. Runtime-neutral: Web APIs only, so the same
 * code runs on Node (@hono/node-server), Bun, Deno, Cloudflare Workers and other edge runtimes.
 * The decisions themselves are core's (`@tessera/core` http.ts).
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
import type { Context, MiddlewareHandler } from "hono";

/** What one request's session check found; `c.var.tessera`. */
export interface TesseraContext {
  /** The session manager this request was checked with. */
  readonly sessions: Sessions;
  /** The token identifying the current session (the rotated one if it rotated), or `null`. */
  readonly token: string | null;
  /** Where the request carried its token, `null` when it carried none. */
  readonly source: "cookie" | "bearer" | null;
  /** Why a presented token was refused (`"expired"`, `"reused"`, ...), else `null`. */
  readonly reason: InvalidReason | null;
}

/** The context variables `tessera()` sets. */
export interface TesseraVariables {
  /** The request's valid session, or `null`. */
  session: Session | null;
  /** What the session check found; used by `login`, `logout` and the guards. */
  tessera: TesseraContext;
}

/** Hono `Env` for apps that type their variables through generics: `new Hono<TesseraEnv>()`. */
export type TesseraEnv = { Variables: TesseraVariables };

declare module "hono" {
  interface ContextVariableMap extends TesseraVariables {}
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
  /**
   * The client's IP address, for binding. Default: the socket address on @hono/node-server
   * (`c.env.incoming`), nothing elsewhere. Behind a proxy or on another runtime, say where the
   * address is, e.g. `(c) => c.req.header("cf-connecting-ip")` on Cloudflare, or hono's
   * `getConnInfo(c).remote.address` for Bun and Deno.
   */
  getClientIp?: (c: Context) => string | undefined;
  /** Device id to bind the session to (e.g. from a header your app sets), if any. */
  getDeviceId?: (c: Context) => string | undefined;
  /** Answers a refused cross-site request. Default: 403 with a JSON body. */
  onCrossSite?: (c: Context, refusal: CrossSiteRefusal) => Response | Promise<Response>;
  /**
   * Answers a request whose session could not be checked or written because the store failed,
   * in this middleware or in a handler after it (`login`, `logout`, ...). Default: 503 with a
   * JSON body. Never treat this as "logged out".
   */
  onStoreUnavailable?: (c: Context, error: unknown) => Response | Promise<Response>;
}

/** Options of `logoutEverywhere`. */
export interface LogoutEverywhereOptions {
  /** Keep the session of this request alive. Default `false`: end it too. */
  keepCurrent?: boolean;
}

/** One request's session, and the response headers Tessera will write for it. */
class RequestState implements TesseraContext {
  session: Session | null;
  token: string | null;
  source: "cookie" | "bearer" | null;
  reason: InvalidReason | null;
  /** The `Set-Cookie` value to append once the handler has answered. */
  setCookie: string | null;
  /** `undefined`: leave the header alone; `null`: remove it; a string: set it. */
  tokenHeader: string | null | undefined;

  constructor(
    readonly sessions: Sessions,
    found: RequestSession,
    readonly client: ClientInfo,
  ) {
    this.session = found.session;
    this.token = found.token;
    this.source = found.source;
    this.reason = found.reason;
    this.setCookie = found.setCookie;
    this.tokenHeader = found.rotatedToken ?? undefined;
  }

  forget() {
    this.session = null;
    this.token = null;
    this.reason = null;
    this.setCookie = this.sessions.cookie.blank();
    this.tokenHeader = null;
  }
}

/**
 * Checked sessions per request, per session manager: the memo behind "one validate per
 * request", kept on the `Request` itself so that sub-apps called with `c.req.raw` share it.
 */
const checked = new WeakMap<Request, Map<Sessions, RequestState>>();

/**
 * The socket address @hono/node-server exposes as `c.env.incoming` (or `c.env.server.incoming`
 * when other bindings are merged in), read structurally so this package imports nothing
 * Node-specific. Proxy headers are never read: they are only trustworthy behind your own proxy.
 */
function nodeSocketAddress(c: Context): string | undefined {
  type Bindings = { incoming?: { socket?: { remoteAddress?: unknown } } };
  const env = c.env as (Bindings & { server?: Bindings }) | undefined;
  const address = (env?.server ?? env)?.incoming?.socket?.remoteAddress;
  return typeof address === "string" ? address : undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * The Tessera middleware for Hono: `app.use(tessera(sessions))`. It refuses unsafe cross-site
 * requests (403), validates the cookie or bearer token once per request, sets `c.var.session`,
 * and once the handler has answered appends the rotated `Set-Cookie` (or sets the
 * `tessera-token` header for bearer clients). A store outage answers 503, never "logged out".
 * Throws `TesseraConfigError` for bad options.
 */
export const tessera = (
  sessions: Sessions,
  options: TesseraOptions = {},
): MiddlewareHandler<TesseraEnv> => {
  if (!isSessions(sessions)) {
    throw new TesseraConfigError("tessera() needs the sessions returned by createSessions()");
  }
  if (options.csrf === false && options.allowedOrigins !== undefined) {
    throw new TesseraConfigError("allowedOrigins has no effect with csrf: false; drop one");
  }
  const checkOrigin = options.csrf === false ? null : createOriginCheck(options.allowedOrigins);
  const getClientIp = options.getClientIp ?? nodeSocketAddress;
  const { getDeviceId, onCrossSite, onStoreUnavailable } = options;

  const unavailable = (c: Context, error: unknown, status: 503, body: object) =>
    onStoreUnavailable ? onStoreUnavailable(c, error) : c.json(body, status);

  return async function tessera(c, next) {
    if (checkOrigin) {
      const refusal = checkOrigin({
        method: c.req.method,
        origin: c.req.header("origin"),
        secFetchSite: c.req.header("sec-fetch-site"),
        host: c.req.header("host") ?? hostOf(c.req.url),
      });
      if (refusal) {
        if (onCrossSite) return onCrossSite(c, refusal);
        const answer = crossSiteAnswer(refusal);
        return c.json(answer.body, answer.status);
      }
    }
    const raw = c.req.raw;
    let perManager = checked.get(raw);
    const existing = perManager?.get(sessions);
    if (existing) {
      // Mounted again (a nested app, a second app.use): the first mount validated and will write.
      c.set("tessera", existing);
      c.set("session", existing.session);
      await next();
      return;
    }
    const ip = getClientIp(c);
    const userAgent = c.req.header("user-agent");
    const deviceId = getDeviceId?.(c);
    const client: ClientInfo = {
      ...(ip ? { ip } : {}),
      ...(userAgent ? { userAgent } : {}),
      ...(deviceId ? { deviceId } : {}),
    };
    let found: RequestSession;
    try {
      found = await readRequestSession(
        sessions,
        { cookie: c.req.header("cookie"), authorization: c.req.header("authorization") },
        client,
      );
    } catch (error) {
      const answer = storeFailureAnswer(error);
      if (!answer) throw error;
      return unavailable(c, error, answer.status, answer.body);
    }
    const state = new RequestState(sessions, found, client);
    if (!perManager) {
      perManager = new Map();
      checked.set(raw, perManager);
    }
    perManager.set(sessions, state);
    c.set("tessera", state);
    c.set("session", state.session);

    await next();

    // A handler's login/logout failed on the store: 503, not the default 500 (other errors are
    // the application's, untouched).
    const failed = c.error ? storeFailureAnswer(c.error) : null;
    if (failed) c.res = await unavailable(c, c.error, failed.status, failed.body);
    // Written after the handler, so login/logout during it decide the final cookie, and the
    // headers also reach a raw `Response` the handler returned.
    if (state.setCookie) c.header("Set-Cookie", state.setCookie, { append: true });
    if (state.tokenHeader !== undefined) {
      c.header(ROTATED_TOKEN_HEADER, state.tokenHeader ?? undefined);
    }
  };
};

/** The request's session state; throws `TesseraConfigError` when `tessera()` did not run. */
export function stateOf(c: Context, helper: string): RequestState {
  const state = c.get("tessera");
  if (!(state instanceof RequestState)) {
    throw new TesseraConfigError(`${helper}() needs app.use(tessera(sessions)) on this route`);
  }
  return state;
}

/**
 * Starts a session for `userId` after the application checked the credentials: revokes the
 * session the request already had (no session fixation), sets the cookie (and, for a bearer
 * client, the `tessera-token` header), and updates `c.var.session`. Returns the new session and
 * its token (hand the token to bearer clients in the response body).
 */
export async function login(
  c: Context,
  userId: string,
  data?: SessionData,
): Promise<CreatedSession> {
  const state = stateOf(c, "login");
  // A session the request already carries never survives a login: whoever planted or shared it
  // must not end up holding the freshly authenticated session.
  if (state.session) await state.sessions.revoke(state.session.id);
  state.forget();
  c.set("session", null);
  const created = await state.sessions.create({
    userId,
    ...(data !== undefined ? { data } : {}),
    client: state.client,
  });
  state.session = created.session;
  state.token = created.token;
  state.setCookie = state.sessions.cookie.serialize(created.token, created.session.expiresAt);
  if (state.source === "bearer") state.tokenHeader = created.token;
  else state.source = "cookie";
  c.set("session", created.session);
  return created;
}

/** Revokes the current session and clears the cookie. Resolves `true` if a session ended. */
export async function logout(c: Context): Promise<boolean> {
  const state = stateOf(c, "logout");
  const ended = state.session ? await state.sessions.revoke(state.session.id) : false;
  state.forget();
  c.set("session", null);
  return ended;
}

/**
 * Revokes every session of the current user: all of them by default, this one included (the
 * cookie is cleared), or all but this one with `{ keepCurrent: true }` ("log out other
 * devices"). Resolves to the number ended; 0 without a session.
 */
export async function logoutEverywhere(
  c: Context,
  options: LogoutEverywhereOptions = {},
): Promise<number> {
  const state = stateOf(c, "logoutEverywhere");
  const current = state.session;
  if (!current) return 0;
  const keep = options.keepCurrent === true;
  const ended = await state.sessions.revokeAll(
    current.userId,
    keep ? { except: current.id } : undefined,
  );
  if (!keep) {
    state.forget();
    c.set("session", null);
  }
  return ended;
}
