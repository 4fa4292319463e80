/**
 * The request gate: the whole per-request session logic, once, for every framework. An
 * integration hands it the request's facts (method, a header reader, the socket address) and
 * gets back the request's session state with its helpers (`login`, `logout`, ...), or one
 * `HttpAnswer` refusing the request; when the handler is done, it writes `effects()` (cookie and
 * headers) onto the response. Integrations translate; they decide nothing.
 */
import type { ClientInfo } from "../binding.js";
import { cookieValues, parseBearer } from "../cookie.js";
import { TesseraConfigError } from "../errors.js";
import type { Session, SessionData } from "../session.js";
import type { CreatedSession, InvalidReason, Sessions, ValidateResult } from "../sessions.js";
import { parseToken } from "../token.js";
import {
  answerForError,
  crossSiteAnswer,
  type HttpAnswer,
  notFreshAnswer,
  unauthenticatedAnswer,
} from "./answers.js";
import { clientAddress, firstForwarded } from "./client-address.js";
import type { DbscHandler, ServedAnswer } from "./dbsc.js";
import { createOriginCheck, type OriginCheck } from "./origin.js";

/**
 * Response header carrying a new token to bearer clients (mobile, CLI), which have no cookie
 * jar: when present, the client uses its value from the next request on.
 */
export const TOKEN_HEADER = "tessera-token";

/** What every integration's options share, under the same names everywhere. */
export interface GateOptions {
  /**
   * Refuse unsafe cross-site requests (CSRF) by `Sec-Fetch-Site` / `Origin`.
   * @defaultValue `true`
   */
  csrf?: boolean;
  /**
   * Other origins (`https://admin.example.com`) or hosts (`admin.example.com:8443`) whose
   * unsafe requests are accepted, e.g. a front end on another subdomain.
   * @defaultValue `[]`
   */
  allowedOrigins?: readonly string[];
  /**
   * How many reverse proxies run in front of the server, each appending to `X-Forwarded-For`.
   * With 0, the client address is the socket's and no proxy header is read (anyone can write
   * them). With N, the address is the N-th `X-Forwarded-For` entry from the right, and the
   * first `X-Forwarded-Host` / `X-Forwarded-Proto` values name the origin for the CSRF check.
   * @defaultValue `0`
   */
  trustedProxies?: number;
  /**
   * Observes every refusal the gate answers (403, 401, 503), e.g. to count 503s in metrics
   * (`@tessera/otel`'s `recordAnswer`). It cannot change the answer; errors it throws are ignored.
   */
  onRefusal?: (answer: HttpAnswer) => void;
  /**
   * Device-bound session credentials (DBSC): `createDbsc()` of `@tessera/dbsc`. With it, a login
   * offers the browser a key registration, the gate serves the registration and refresh routes
   * itself, and a session whose browser registered a key works only with the short-lived cookie
   * that key renews. Browsers without DBSC keep working as before.
   * @defaultValue none (off)
   */
  dbsc?: DbscHandler;
}

/** Request headers as Node.js keeps them: lower-case names, repeated headers as arrays. */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What an integration tells the gate about one request. Give the headers either as a reader
 * (`header`, for a Fetch `Headers`) or, on Node.js servers, as the request's own header object
 * (`headers`), which spares a closure per request.
 */
export interface RequestFacts {
  /** HTTP method. */
  method: string;
  /** Reads a request header by lower-case name (several values joined by `, `). */
  header?: ((name: string) => string | null | undefined) | undefined;
  /** The request's headers as Node.js's `IncomingMessage.headers` holds them. */
  headers?: HeaderRecord | undefined;
  /** The peer address of the connection (socket), if the framework exposes it. */
  remoteAddress?: string | null | undefined;
  /** Whether the connection itself is TLS (may be a getter: read only when needed). */
  secure?: boolean | undefined;
  /** Application device id to bind the session to, if any. */
  deviceId?: string | null | undefined;
  /** The request path without the query (`/tessera/dbsc/refresh`): needed for `dbsc` routes. */
  path?: string | null | undefined;
}

/** What the response must carry, written by the integration after the handler. */
export interface ResponseEffects {
  /** A `Set-Cookie` value to append (the session cookie, or a blank one that clears it). */
  setCookie: string | null;
  /** Headers to set, replacing any value the handler set (`cache-control`, `tessera-token`). */
  headers: Readonly<Record<string, string>>;
  /** A second `Set-Cookie` to append: the DBSC bound cookie (or a blank one), else `null`. */
  deviceCookie: string | null;
}

/** Where the request carried its token. */
export type TokenSourceKind = "cookie" | "bearer";

/** A session state handed over from an earlier check of the same request (Next.js proxy). */
export interface CheckedSession {
  session: Session | null;
  token: string | null;
  source: TokenSourceKind | null;
  reason: InvalidReason | null;
}

/** Options of the request helper `logoutEverywhere`. */
export interface LogoutEverywhereOptions {
  /** Keep this request's session alive ("log out other devices"). @defaultValue `false` */
  keepCurrent?: boolean;
}

/** The input `login` takes, as a user id (and data) or as one object. */
export type LoginInput = string | { userId: string; data?: SessionData };

/** The gate built once per application by `createGate`. */
export interface Gate {
  /** The session manager behind it. */
  readonly sessions: Sessions;
  /**
   * Checks one request: the CSRF rule first (no store call), then the token(s) it carries.
   * Resolves its session state; `refusal` is set when the request must be answered with it
   * (403 cross-site, 503 store outage) and go no further. Never rejects for a store outage.
   */
  open(request: RequestFacts): Promise<RequestSession>;
  /** The session state of a request already checked elsewhere (no store call, no CSRF check). */
  resume(checked: CheckedSession, request: RequestFacts): RequestSession;
  /**
   * The 503 answer for a Tessera store failure thrown by a handler (`login`, `logout`, ...), else
   * `null`; like `answerForError`, and reported to `onRefusal`.
   */
  answerForError(error: unknown): HttpAnswer | null;
}

/** The session state of one request, and the helpers that change it. */
export interface RequestSession {
  /** The session manager that checked this request. */
  readonly sessions: Sessions;
  /** The answer that refuses this request (CSRF, store outage), or `null` to proceed. */
  readonly refusal: HttpAnswer | null;
  /**
   * The gate served this request itself (a DBSC registration or refresh route): write this
   * answer, then `effects()`, and do not run the application's handler. `null` otherwise.
   */
  readonly served: ServedAnswer | null;
  /** The valid session, or `null`. */
  readonly session: Session | null;
  /** The token identifying the session from now on (the rotated one if it rotated), or `null`. */
  readonly token: string | null;
  /** Where the request carried its token; `null` when it carried none. */
  readonly source: TokenSourceKind | null;
  /** Why a presented token was refused; `null` when valid or absent. */
  readonly reason: InvalidReason | null;
  /** The client the session is bound to, as derived from this request. */
  readonly client: ClientInfo;
  /**
   * `null` to proceed, or the answer of a route that needs a session (401
   * `{ error: "unauthenticated", reason? }`) or a fresh one (403 `{ error: "not-fresh" }`).
   */
  require(level?: "session" | "fresh"): HttpAnswer | null;
  /**
   * Starts a session after the application checked the credentials: ends the session the
   * request already had (no fixation), then sets the cookie (and `tessera-token` for a bearer
   * client). Resolves the new session and its token.
   * @throws StoreUnavailableError when the store is down (answer with `answerForError`).
   */
  login(user: LoginInput, data?: SessionData): Promise<CreatedSession>;
  /** Ends this session and clears the cookie. Resolves `true` if a session ended. */
  logout(): Promise<boolean>;
  /**
   * Ends every session of this user, this one included (the cookie is cleared), or all but
   * this one with `{ keepCurrent: true }`. Resolves to the number ended; 0 without a session.
   */
  logoutEverywhere(options?: LogoutEverywhereOptions): Promise<number>;
  /**
   * Issues a new secret now (after a privilege change) and writes it. Resolves the session, or
   * `null` when there is none or the request carried an already-rotated secret (`stale`).
   */
  rotate(): Promise<Session | null>;
  /**
   * Step-up done (the application re-checked the password or a second factor): rotates the
   * secret, makes the session fresh, writes the new token. Resolves the session, or `null`.
   */
  reauthenticate(): Promise<Session | null>;
  /** What the response must carry; `null` when nothing (the common case). */
  effects(): ResponseEffects | null;
  /**
   * The 503 answer for a Tessera store failure thrown while handling this request (`login`,
   * `logout`, ...), else `null`; reported to the gate's `onRefusal` like every refusal.
   */
  answerForError(error: unknown): HttpAnswer | null;
  /**
   * Called after a helper changed the request's session (login, logout, step-up, ...), so an
   * integration can keep its own view (`req.session`, `c.var.session`) in step.
   */
  onSessionChange: ((session: Session | null) => void) | null;
}

const MAX_TRUSTED_PROXIES = 16;
/** Cookies of the session's name tried per request (cookie tossing), beyond which none are. */
const MAX_COOKIE_CANDIDATES = 4;
const NO_STORE = "private, no-store";

function checkOptions(sessions: Sessions, options: GateOptions) {
  if (!isSessions(sessions)) {
    throw new TesseraConfigError("pass the sessions returned by createSessions() first");
  }
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("options must be an object");
  }
  if (options.csrf === false && options.allowedOrigins !== undefined) {
    throw new TesseraConfigError("allowedOrigins has no effect with csrf: false; drop one");
  }
  const hops = options.trustedProxies ?? 0;
  if (!Number.isInteger(hops) || hops < 0 || hops > MAX_TRUSTED_PROXIES) {
    throw new TesseraConfigError(
      `trustedProxies must be a whole number of proxies from 0 to ${MAX_TRUSTED_PROXIES}, got ${String(options.trustedProxies)}`,
    );
  }
  return hops;
}

/**
 * The session id a token names, or `null` when it is not a well-formed token: for integrations
 * that must check that something they were handed belongs to the request's own session.
 */
export function sessionIdOf(token: string | null | undefined): string | null {
  return parseToken(token)?.id ?? null;
}

/**
 * Reads header `name` (lower case) from a request's facts, whichever way they carry headers;
 * several values are joined by `, `.
 */
export function readHeader(
  request: Pick<RequestFacts, "header" | "headers">,
  name: string,
): string | null | undefined {
  const headers = request.headers;
  if (headers !== undefined) {
    const value = headers[name];
    return typeof value === "string" || value === undefined ? value : value.join(", ");
  }
  return request.header?.(name);
}

/**
 * The session ids named by the tokens a request carries (each session cookie, then the bearer
 * header), without a store call.
 */
export function presentedSessionIds(
  sessions: Sessions,
  request: Pick<RequestFacts, "header" | "headers">,
) {
  const tokens = cookieValues(
    readHeader(request, "cookie"),
    sessions.cookie.name,
    MAX_COOKIE_CANDIDATES,
  );
  const bearer = parseBearer(readHeader(request, "authorization"));
  if (bearer !== null) tokens.push(bearer);
  const ids: string[] = [];
  for (const token of tokens) {
    const id = sessionIdOf(token);
    if (id !== null) ids.push(id);
  }
  return ids;
}

/**
 * Whether `value` is the session manager `createSessions` returns, checked by shape (not
 * `instanceof`, so an ESM and a CommonJS copy of core agree).
 */
export function isSessions(value: unknown): value is Sessions {
  const candidate = value as Partial<Sessions> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.validate === "function" &&
    typeof candidate.create === "function" &&
    typeof candidate.cookie?.serialize === "function"
  );
}

/**
 * Builds the request gate of an integration. Call it once, when the middleware is created.
 *
 * @example
 * ```ts
 * const gate = createGate(sessions, { trustedProxies: 1 });
 * const state = await gate.open({ method: req.method, header: (name) => req.headers.get(name) });
 * if (state.refusal) return new Response(state.refusal.body, state.refusal);
 * ```
 * @throws TesseraConfigError for options that make no sense (a bad origin, a negative count).
 */
export function createGate(sessions: Sessions, options: GateOptions = {}): Gate {
  const trustedProxies = checkOptions(sessions, options);
  const checkOrigin: OriginCheck | null =
    options.csrf === false ? null : createOriginCheck(options.allowedOrigins);
  const cookieName = sessions.cookie.name;
  const dbsc = options.dbsc ?? null;
  if (dbsc !== null && (typeof dbsc !== "object" || typeof dbsc.refresh !== "function")) {
    throw new TesseraConfigError("dbsc must be the handler createDbsc() of @tessera/dbsc returns");
  }
  const observe = options.onRefusal;
  if (observe !== undefined && typeof observe !== "function") {
    throw new TesseraConfigError("onRefusal must be a function (answer) => void");
  }
  const report = observe
    ? (answer: HttpAnswer) => {
        try {
          observe(answer);
        } catch {
          // Metrics never change an answer.
        }
        return answer;
      }
    : null;

  function clientOf(request: RequestFacts): ClientInfo {
    const client: ClientInfo = {};
    const ip = clientAddress(
      request.remoteAddress,
      trustedProxies > 0 ? readHeader(request, "x-forwarded-for") : null,
      trustedProxies,
    );
    if (ip) client.ip = ip;
    const userAgent = readHeader(request, "user-agent");
    if (userAgent) client.userAgent = userAgent;
    if (request.deviceId) client.deviceId = request.deviceId;
    return client;
  }

  function ownOrigin(request: RequestFacts): string | undefined {
    const host =
      (trustedProxies > 0 ? firstForwarded(readHeader(request, "x-forwarded-host")) : undefined) ??
      readHeader(request, "host");
    if (!host) return undefined;
    const proto =
      (trustedProxies > 0 ? firstForwarded(readHeader(request, "x-forwarded-proto")) : undefined) ??
      (request.secure ? "https" : "http");
    return `${proto.toLowerCase()}://${host.toLowerCase()}`;
  }

  return {
    sessions,

    async open(request) {
      if (request.headers === undefined && typeof request.header !== "function") {
        throw new TesseraConfigError(
          "request facts need a header(name) reader or a headers object",
        );
      }
      const cookieHeader = readHeader(request, "cookie");
      const cookies = cookieValues(cookieHeader, cookieName, MAX_COOKIE_CANDIDATES);
      const method = request.method;
      // GET, HEAD and OPTIONS always pass the CSRF rule: no need to build its facts.
      if (checkOrigin && method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
        const refused = checkOrigin({
          method: request.method,
          origin: readHeader(request, "origin"),
          secFetchSite: readHeader(request, "sec-fetch-site"),
          ownOrigin: () => ownOrigin(request),
          hasSessionCookie: cookies.length > 0,
        });
        if (refused) return GateRequest.refused(sessions, crossSiteAnswer(refused), report);
      }
      const state = new GateRequest(sessions, clientOf(request), report, dbsc);
      try {
        const route = dbsc && request.method === "POST" ? dbsc.routeOf(request.path) : null;
        if (route !== null && dbsc !== null) {
          // The key proof is what these routes check: the bound cookie is what they renew.
          await state.check(cookies, request, undefined);
          await state.serve(dbsc, route, request);
        } else {
          // The bound cookie comes from the same header, parsed by the same rules.
          const device = dbsc
            ? { cookie: cookieValues(cookieHeader, dbsc.cookieName, 1)[0] ?? null }
            : undefined;
          await state.check(cookies, request, device);
        }
      } catch (error) {
        const answer = answerForError(error);
        if (!answer) throw error;
        return GateRequest.refused(sessions, answer, report);
      }
      return state;
    },

    answerForError: (error) => reportedAnswerForError(error, report),

    resume(checked, request) {
      const state = new GateRequest(sessions, clientOf(request), report, dbsc);
      state.session = checked.session;
      state.token = checked.token;
      state.source = checked.source;
      state.reason = checked.reason;
      return state;
    },
  };
}

/** `answerForError`, passed to the gate's `onRefusal` when it is an answer. */
function reportedAnswerForError(
  error: unknown,
  report: ((answer: HttpAnswer) => HttpAnswer) | null,
): HttpAnswer | null {
  const answer = answerForError(error);
  return answer && report ? report(answer) : answer;
}

/** One request's session state. A class, so the hot path allocates one object, no closures. */
class GateRequest implements RequestSession {
  refusal: HttpAnswer | null = null;
  served: ServedAnswer | null = null;
  session: Session | null = null;
  token: string | null = null;
  source: TokenSourceKind | null = null;
  reason: InvalidReason | null = null;
  /** The session cookie to write, or a blank one; `null` to leave the browser's as it is. */
  #setCookie: string | null = null;
  /** A new token for a bearer client (`tessera-token`), or `null`. */
  #bearerToken: string | null = null;
  /** The DBSC bound cookie to write (or a blank one), or `null`. */
  #deviceCookie: string | null = null;
  /** Headers a helper added (the DBSC registration offer on login). */
  #extraHeaders: Record<string, string> | null = null;
  onSessionChange: ((session: Session | null) => void) | null = null;

  constructor(
    readonly sessions: Sessions,
    readonly client: ClientInfo,
    readonly report: ((answer: HttpAnswer) => HttpAnswer) | null,
    readonly dbsc: DbscHandler | null = null,
  ) {}

  static refused(
    sessions: Sessions,
    answer: HttpAnswer,
    report: ((answer: HttpAnswer) => HttpAnswer) | null,
  ): GateRequest {
    const state = new GateRequest(sessions, {}, report);
    state.refusal = report ? report(answer) : answer;
    return state;
  }

  /**
   * Validates the request's token: each cookie of the session's name in turn (a tossed cookie
   * must not hide the real one), else the bearer header. The first valid one wins; a dead cookie
   * is cleared only when none is valid.
   */
  async check(
    cookies: string[],
    request: RequestFacts,
    device: { cookie: string | null } | undefined,
  ): Promise<void> {
    let reason: InvalidReason | null = null;
    const options = device ? { device } : undefined;
    for (const candidate of cookies) {
      const result = await this.sessions.validate(candidate, this.client, options);
      if (result.ok) return this.#accept(result, candidate, "cookie");
      if (reason === null || reason === "malformed") reason = result.reason;
    }
    const bearer = parseBearer(readHeader(request, "authorization"));
    if (bearer !== null) {
      const result = await this.sessions.validate(bearer, this.client, options);
      if (result.ok) return this.#accept(result, bearer, "bearer");
      if (reason === null || reason === "malformed") reason = result.reason;
      this.source = "bearer";
    }
    if (cookies.length > 0) {
      this.source = "cookie";
      // A cookie that names no live session is cleared, so the browser stops sending it. A
      // device-bound session refused for want of its bound cookie is alive: its holder goes on.
      if (reason !== "device-unbound") this.#setCookie = this.sessions.cookie.blank();
    }
    this.reason = reason;
  }

  /** Serves a DBSC route: the handler's answer, and the bound cookie it issued, if any. */
  async serve(dbsc: DbscHandler, route: "registration" | "refresh", request: RequestFacts) {
    const outcome =
      route === "registration"
        ? await dbsc.register(request, this.session, this.client)
        : await dbsc.refresh(request, this.session, this.client);
    this.served = outcome.answer;
    if (outcome.cookie !== null) this.#deviceCookie = outcome.cookie;
  }

  #accept(
    result: Extract<ValidateResult, { ok: true }>,
    presented: string,
    source: TokenSourceKind,
  ) {
    this.session = result.session;
    this.source = source;
    this.token = result.token ?? presented;
    if (result.token !== null) this.#write(result.token, result.session);
  }

  /**
   * Sends `token` the way this request's client keeps it: a cookie, or for a bearer client the
   * `tessera-token` header (and, on login, the cookie as well: a login form has no bearer).
   */
  #write(token: string, session: Session, login = false) {
    const bearer = this.source === "bearer";
    if (login || !bearer)
      this.#setCookie = this.sessions.cookie.serialize(token, session.expiresAt);
    this.#bearerToken = bearer ? token : null;
  }

  /** The request has no session any more: clear the cookie, forget a new bearer token. */
  #forget() {
    this.session = null;
    this.token = null;
    this.reason = null;
    this.#setCookie = this.sessions.cookie.blank();
    this.#bearerToken = null;
    this.#extraHeaders = null;
    if (this.dbsc) this.#deviceCookie = this.dbsc.blankCookie();
  }

  require(level: "session" | "fresh" = "session"): HttpAnswer | null {
    let answer: HttpAnswer | null = null;
    if (!this.session) answer = unauthenticatedAnswer(this.reason);
    else if (level === "fresh" && !this.session.fresh) answer = notFreshAnswer();
    return answer && this.report ? this.report(answer) : answer;
  }

  async login(user: LoginInput, data?: SessionData): Promise<CreatedSession> {
    const input = typeof user === "string" ? { userId: user, data } : user;
    // The session a request already carries never survives a login: whoever planted or shared
    // it must not end up holding the freshly authenticated session.
    if (this.session) {
      await this.sessions.revoke(this.session.id);
      this.#forget();
    }
    const created = await this.sessions.create({
      userId: input?.userId,
      ...(input?.data !== undefined ? { data: input.data } : {}),
      client: this.client,
    });
    this.session = created.session;
    this.token = created.token;
    this.source ??= "cookie";
    this.#write(created.token, created.session, true);
    if (this.dbsc) {
      // Offer the browser a device key (DBSC); one without DBSC ignores the header.
      this.#extraHeaders = await this.dbsc.offer(created.session.id);
    }
    this.onSessionChange?.(this.session);
    return created;
  }

  async logout(): Promise<boolean> {
    const ended = this.session ? await this.sessions.revoke(this.session.id) : false;
    this.#forget();
    this.onSessionChange?.(null);
    return ended;
  }

  async logoutEverywhere(options: LogoutEverywhereOptions = {}): Promise<number> {
    const current = this.session;
    if (!current) return 0;
    const keep = options.keepCurrent === true;
    const ended = await this.sessions.revokeAll(
      current.userId,
      keep ? { except: current.id } : undefined,
    );
    if (!keep) {
      this.#forget();
      this.onSessionChange?.(null);
    }
    return ended;
  }

  rotate(): Promise<Session | null> {
    return this.#renew((token) => this.sessions.rotate(token, this.client));
  }

  reauthenticate(): Promise<Session | null> {
    return this.#renew((token) => this.sessions.reauthenticate(token, this.client));
  }

  async #renew(renew: (token: string) => Promise<ValidateResult>): Promise<Session | null> {
    if (!this.session || !this.token) return null;
    const result = await renew(this.token);
    if (!result.ok) {
      // "stale": a parallel request rotated first; the session stands as it was.
      if (result.reason === "stale") return null;
      this.#forget();
      this.reason = result.reason;
      this.onSessionChange?.(null);
      return null;
    }
    this.session = result.session;
    if (result.token !== null) {
      this.token = result.token;
      this.#write(result.token, result.session);
    }
    this.onSessionChange?.(this.session);
    return result.session;
  }

  answerForError(error: unknown): HttpAnswer | null {
    return reportedAnswerForError(error, this.report);
  }

  effects(): ResponseEffects | null {
    if (
      this.#setCookie === null &&
      this.#bearerToken === null &&
      this.#deviceCookie === null &&
      this.#extraHeaders === null
    ) {
      return null;
    }
    // A response that carries a token must never be stored by a shared cache and handed to
    // the next visitor, whatever caching the handler asked for.
    const headers: Record<string, string> = { ...this.#extraHeaders, "cache-control": NO_STORE };
    if (this.#bearerToken !== null) headers[TOKEN_HEADER] = this.#bearerToken;
    return { setCookie: this.#setCookie, headers, deviceCookie: this.#deviceCookie };
  }
}
