/**
 * One request's session state, as the gate hands it to an integration: the session, the token,
 * where it came from, why it was refused, the helpers that change it (`login`, `logout`, ...),
 * and what the response must carry (`effects()`: cookies as values, headers).
 */
import type { ClientInfo } from "../binding.js";
import { type CookieValue, cookieValues, parseBearer } from "../cookie.js";
import { InvalidArgumentError } from "../errors.js";
import type { GuestSession, Session, SessionData } from "../session.js";
import type {
  CreatedSession,
  InvalidReason,
  Sessions,
  ValidateGuestOptions,
  ValidateOptions,
  ValidateResult,
  ValidateResultWithGuests,
} from "../sessions.js";
import {
  answerForError,
  type HttpAnswer,
  notFreshAnswer,
  unauthenticatedAnswer,
} from "./answers.js";
import type { DbscHandler, DbscRoute, ServedAnswer } from "./dbsc.js";
import { type RequestFacts, readHeader, type SessionCookies } from "./facts.js";

/**
 * Response header carrying a new token to bearer clients (mobile, CLI), which have no cookie
 * jar: when present, the client uses its value from the next request on.
 */
export const TOKEN_HEADER = "tessera-token";

const NO_STORE = "private, no-store";

/**
 * What a request without a DBSC bound cookie shows the device-binding rule (shared, frozen). The
 * gate accepts guest tokens too (`state.guest`).
 */
export const NO_BOUND_COOKIE: ValidateGuestOptions = Object.freeze({
  boundCookie: null,
  guests: true,
});

/** The cookie keeping the admin's own token while they impersonate someone: `<name>-impersonator`. */
export function impersonatorCookieName(sessionCookieName: string): string {
  return `${sessionCookieName}-impersonator`;
}

/** What the response must carry, written by the integration after the handler. */
export interface ResponseEffects {
  /**
   * Cookies to set, in order: the session cookie (or the one clearing it), then the DBSC bound
   * cookie. Write each through the framework's cookie API, or as `serializeCookie(cookie)`.
   */
  cookies: readonly CookieValue[];
  /** Headers to set, replacing any value the handler set (`cache-control`, `tessera-token`). */
  headers: Readonly<Record<string, string>>;
}

/** Where the request carried its token. */
export type TokenSourceKind = "cookie" | "bearer";

/** A session state handed over from an earlier check of the same request (Next.js proxy). */
export interface CheckedSession {
  session: Session | null;
  /** The token of `session`, or of `guest` when the request holds a guest session. */
  token: string | null;
  source: TokenSourceKind | null;
  reason: InvalidReason | null;
  /** The request's guest session (then `session` is `null`). @defaultValue `null` */
  guest?: GuestSession | null;
}

/** Options of the request helper `logoutEverywhere`. */
export interface LogoutEverywhereOptions {
  /** Keep this request's session alive ("log out other devices"). @defaultValue `false` */
  keepCurrent?: boolean;
}

/**
 * The input `login` takes, as a user id (and data) or as one object; `policy` names the session's
 * policy class (`createSessions({ policies })`).
 */
export type LoginInput = string | { userId: string; data?: SessionData; policy?: string };

/** Options of the request helper `impersonate`. */
export interface GateImpersonateOptions {
  /** Why the admin acts as the user (required; kept in the event). */
  reason: string;
  data?: SessionData;
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
  /**
   * The request's guest session (a visitor before login, `startGuest`), or `null`. Never set
   * together with `session`; a guest is not logged in (`require()` answers 401).
   */
  readonly guest: GuestSession | null;
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
   * client). Resolves the new session and its token. A request holding a guest session
   * upgrades it (`sessions.upgrade`: the guest's data carried over, the guest ended).
   * @throws StoreUnavailableError when the store is down, SessionLimitError when the class's
   * limit refused the login (answer both with `answerForError`: 503, 403 `session-limit`).
   */
  login(user: LoginInput, data?: SessionData): Promise<CreatedSession>;
  /**
   * Starts a guest session for a visitor without one and sets its cookie; a request that
   * already holds a guest keeps it (resolved as it is). Resolves `null` for a logged-in request.
   */
  startGuest(data?: SessionData): Promise<GuestSession | null>;
  /** Replaces the guest's data. Resolves the guest, or `null` when the request holds none. */
  updateGuest(
    data: SessionData | ((current: SessionData) => SessionData),
  ): Promise<GuestSession | null>;
  /**
   * The admin of this request acts as `targetUserId` (`sessions.impersonate`): the cookie now
   * carries the impersonation session, and the admin's own token is kept in the HttpOnly cookie
   * `<name>-impersonator` (same attributes) until `stopImpersonating`.
   * @throws ImpersonationRefusedError, or InvalidArgumentError without a session.
   */
  impersonate(targetUserId: string, options: GateImpersonateOptions): Promise<CreatedSession>;
  /**
   * Ends this request's impersonation and returns to the admin's own session when the kept
   * admin cookie still validates as that admin (else the request ends logged out). Clears the
   * impersonator cookie. Resolves the admin's session, or `null`.
   */
  stopImpersonating(): Promise<Session | null>;
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
   * The request's session state as checked, to hand to a later step of the same request
   * (`gate.resume`: a Next.js proxy forwards it to the route): the session or the guest, and
   * its token.
   */
  checked(): CheckedSession;
  /**
   * The 503 answer for a Tessera store failure thrown while handling this request (`login`,
   * `logout`, ...), else `null`; reported to the gate's `onRefusal` like every refusal.
   */
  answerForError(error: unknown): HttpAnswer | null;
  /**
   * The 503 answer of a helper of this request (`login`, `logout`, `logoutEverywhere`, `rotate`,
   * `reauthenticate`) that failed on the store, or `null`: for frameworks whose error handlers see
   * a wrapper that no longer carries the error the helper threw (h3 keeps only its `cause`).
   */
  readonly failure: HttpAnswer | null;
  /**
   * Called after a helper changed the request's session (login, logout, step-up, ...), so an
   * integration can keep its own view (`req.session`, `c.var.session`) in step.
   */
  onSessionChange: ((session: Session | null) => void) | null;
}

/** Reports an answer to the gate's `onRefusal` (if any) and returns it. */
export type Reporter = ((answer: HttpAnswer) => HttpAnswer) | null;

/** `answerForError`, passed to the gate's `onRefusal` when it is an answer. */
export function reportedAnswerForError(error: unknown, report: Reporter): HttpAnswer | null {
  const answer = answerForError(error);
  return answer && report ? report(answer) : answer;
}

/** One request's session state. A class, so the hot path allocates one object, no closures. */
export class GateRequest implements RequestSession {
  refusal: HttpAnswer | null = null;
  served: ServedAnswer | null = null;
  failure: HttpAnswer | null = null;
  session: Session | null = null;
  guest: GuestSession | null = null;
  token: string | null = null;
  source: TokenSourceKind | null = null;
  reason: InvalidReason | null = null;
  /** The session cookie to write, or the one clearing it; `null` to leave the browser's as is. */
  #sessionCookie: CookieValue | null = null;
  /** A new token for a bearer client (`tessera-token`), or `null`. */
  #bearerToken: string | null = null;
  /** The DBSC bound cookie to write (or the one clearing it), or `null`. */
  #deviceCookie: CookieValue | null = null;
  /** Headers a helper added (the DBSC registration offer on login). */
  #extraHeaders: Record<string, string> | null = null;
  /** The request's DBSC bound cookie, which every validate, rotate and step-up presents. */
  #device: ValidateOptions = NO_BOUND_COOKIE;
  /** The guest session's token, or `null` (kept apart: `token` is a logged-in session's). */
  #guestToken: string | null = null;
  /**
   * The admin token the request's impersonator cookie carried (`null`: none), read on first use
   * (`undefined` until then: the hot path never parses for it).
   */
  #impersonatorToken: string | null | undefined = undefined;
  /** The request checked, for reading the impersonator cookie on demand. */
  #request: RequestFacts | null = null;
  /** The impersonator cookie to write (or the one clearing it), or `null`. */
  #impersonatorCookie: CookieValue | null = null;
  onSessionChange: ((session: Session | null) => void) | null = null;

  constructor(
    readonly sessions: Sessions,
    readonly client: ClientInfo,
    readonly report: Reporter,
    readonly dbsc: DbscHandler | null = null,
  ) {}

  static refused(sessions: Sessions, answer: HttpAnswer, report: Reporter): GateRequest {
    const state = new GateRequest(sessions, {}, report);
    state.refusal = report ? report(answer) : answer;
    return state;
  }

  /**
   * Validates the request's token: each well-formed cookie of the session's name in turn (a
   * tossed cookie must not hide the real one), else the bearer header. The first valid one wins.
   * A dead cookie is cleared only when it is the only one of its name: with several, the clear
   * (one `Set-Cookie` for the name) could delete the real cookie instead of the planted one.
   * `device` is what core's device-binding rule is shown: the bound cookie, or the DBSC route or
   * excluded path this request is (the only opt-outs, by name).
   *
   * Resolves this state, or for a store failure (`answerForError`) a new refused one; other
   * errors reject. Then, when the request carried several session cookies of which none was
   * valid, calls `tossed` (the gate's cookie-tossing signal). One async step for the whole check,
   * the one the gate hands back: every extra `await` on the hot path is garbage per request.
   */
  check(
    cookies: SessionCookies,
    request: RequestFacts,
    device: ValidateGuestOptions,
    tossed: ((state: GateRequest, cookies: SessionCookies) => void) | null = null,
    failed: ((error: unknown) => Promise<GateRequest>) | null = null,
  ): Promise<GateRequest> {
    this.#device = device.dbscRoute === undefined ? device : NO_BOUND_COOKIE;
    this.#request = request;
    const candidates = cookies.candidates;
    if (candidates.length !== 1) return this.#checkAll(cookies, request, device, tossed);
    // The common case, one well-formed cookie: a `then` on its validate, no suspended frame.
    const candidate = candidates[0]!;
    let validating: Promise<ValidateResultWithGuests>;
    try {
      validating = this.sessions.validate(candidate, this.client, device);
    } catch (error) {
      return this.#failed(error);
    }
    return validating.then(
      (result) => {
        if (!result.ok) return this.#checkAll(cookies, request, device, tossed, result.reason);
        this.#accept(result, candidate, "cookie");
        return this.#checked(cookies, tossed);
      },
      // The gate's handler, made once (`GateRequest.failure`): no closure per request.
      failed ?? ((error) => this.#failed(error)),
    );
  }

  /**
   * `check` over every cookie candidate (or, with `firstReason`, those after the first, which
   * was refused for it), then the bearer header.
   */
  async #checkAll(
    cookies: SessionCookies,
    request: RequestFacts,
    device: ValidateGuestOptions,
    tossed: ((state: GateRequest, cookies: SessionCookies) => void) | null,
    firstReason?: InvalidReason,
  ): Promise<GateRequest> {
    try {
      let reason: InvalidReason | null = firstReason ?? null;
      let accepted = false;
      const candidates = cookies.candidates;
      for (let i = firstReason === undefined ? 0 : 1; i < candidates.length; i++) {
        const candidate = candidates[i]!;
        const result = await this.sessions.validate(candidate, this.client, device);
        if (result.ok) {
          this.#accept(result, candidate, "cookie");
          accepted = true;
          break;
        }
        if (reason === null || reason === "malformed") reason = result.reason;
      }
      if (!accepted) {
        const bearer = parseBearer(readHeader(request, "authorization"));
        if (bearer !== null) {
          const result = await this.sessions.validate(bearer, this.client, device);
          if (result.ok) {
            this.#accept(result, bearer, "bearer");
            accepted = true;
          } else {
            if (reason === null || reason === "malformed") reason = result.reason;
            this.source = "bearer";
          }
        }
      }
      if (!accepted) this.#refuse(cookies, reason);
    } catch (error) {
      return this.#failed(error);
    }
    return this.#checked(cookies, tossed);
  }

  /** A store failure during the check as a new refused state (`answerForError`); else rethrown. */
  #failed(error: unknown): Promise<GateRequest> {
    return GateRequest.failure(this.sessions, this.report)(error);
  }

  /**
   * What a check makes of an error, for every request of one gate: a store failure as a new
   * refused state (`answerForError`), anything else rethrown.
   */
  static failure(sessions: Sessions, report: Reporter): (error: unknown) => Promise<GateRequest> {
    return (error) => {
      const answer = answerForError(error);
      if (!answer) return Promise.reject(error);
      return Promise.resolve(GateRequest.refused(sessions, answer, report));
    };
  }

  /** The check done: signals cookie tossing (several cookies of the name, none valid). */
  #checked(
    cookies: SessionCookies,
    tossed: ((state: GateRequest, cookies: SessionCookies) => void) | null,
  ): GateRequest {
    if (
      tossed !== null &&
      cookies.presented > 1 &&
      (this.session === null || this.source !== "cookie")
    ) {
      tossed(this, cookies);
    }
    return this;
  }

  /** No token was valid: why, and the cookie that clears a lone dead one. */
  #refuse(cookies: SessionCookies, reason: InvalidReason | null) {
    if (cookies.presented > 0) {
      this.source = "cookie";
      reason ??= "malformed"; // cookies of the name, none of them a token
      // A cookie that names no live session is cleared, so the browser stops sending it. A
      // device-bound session refused for want of its bound cookie is alive: its holder goes on.
      if (reason !== "device-unbound" && cookies.presented === 1) {
        this.#sessionCookie = this.sessions.cookie.clear();
      }
    }
    this.reason = reason;
  }

  /**
   * Takes over a state checked earlier in the same request (no store call); `request` is read
   * on demand only (the impersonator cookie).
   */
  resumeFrom(checked: CheckedSession, device: ValidateOptions, request: RequestFacts): void {
    const guest = checked.guest ?? null;
    if (guest !== null && checked.session === null) {
      this.guest = guest;
      this.#guestToken = checked.token;
    } else {
      this.session = checked.session;
      this.token = checked.token;
    }
    this.source = checked.source;
    this.reason = checked.reason;
    this.#device = device;
    this.#request = request;
  }

  checked(): CheckedSession {
    const { session, guest, source, reason } = this;
    return { session, token: session ? this.token : this.#guestToken, source, reason, guest };
  }

  /** Serves a DBSC route: the handler's answer, and the bound cookie it issued, if any. */
  async serve(dbsc: DbscHandler, route: DbscRoute, request: RequestFacts): Promise<void> {
    const outcome =
      route === "registration"
        ? await dbsc.register(request, this.session, this.client)
        : await dbsc.refresh(request, this.session, this.client);
    this.served = outcome.answer;
    if (outcome.cookie !== null) this.#deviceCookie = outcome.cookie;
  }

  #accept(
    result: Extract<ValidateResultWithGuests, { ok: true }>,
    presented: string,
    source: TokenSourceKind,
  ) {
    this.source = source;
    if (result.session === null) {
      // A guest: kept apart from `session` and `token`, which mean a logged-in user.
      this.guest = result.guest;
      this.#guestToken = result.token ?? presented;
      if (result.token !== null) this.#write(result.token, result.guest);
      return;
    }
    this.session = result.session;
    this.token = result.token ?? presented;
    if (result.token !== null) this.#write(result.token, result.session);
  }

  /**
   * Sends `token` the way this request's client keeps it: a cookie, or for a bearer client the
   * `tessera-token` header (and, on login, the cookie as well: a login form has no bearer). The
   * cookie carries `Max-Age` only when the session's policy class is persistent.
   */
  #write(token: string, session: Session | GuestSession, login = false) {
    const bearer = this.source === "bearer";
    if (login || !bearer) {
      const persistent = this.sessions.policyOf?.(session)?.persistent;
      this.#sessionCookie =
        persistent === undefined
          ? this.sessions.cookie.issue(token, session.expiresAt)
          : this.sessions.cookie.issue(token, session.expiresAt, { persistent });
    }
    this.#bearerToken = bearer ? token : null;
  }

  /** The request has no session any more: clear the cookie, forget a new bearer token. */
  #forget() {
    this.session = null;
    this.token = null;
    this.guest = null;
    this.#guestToken = null;
    this.reason = null;
    this.#sessionCookie = this.sessions.cookie.clear();
    // An admin token kept for an impersonation never outlives the session it was kept for.
    if (this.#keptAdminToken() !== null || this.#impersonatorCookie !== null) {
      this.#impersonatorToken = null;
      this.#impersonatorCookie = this.#impersonatorClear();
    }
    this.#bearerToken = null;
    this.#extraHeaders = null;
    if (this.dbsc) this.#deviceCookie = this.dbsc.clearCookie();
  }

  require(level: "session" | "fresh" = "session"): HttpAnswer | null {
    let answer: HttpAnswer | null = null;
    if (!this.session) answer = unauthenticatedAnswer(this.reason);
    else if (level === "fresh" && !this.session.fresh) answer = notFreshAnswer();
    return answer && this.report ? this.report(answer) : answer;
  }

  /** Notes a helper's store failure in `failure` (the first one), and rethrows. */
  #noteFailure(error: unknown): never {
    this.failure ??= reportedAnswerForError(error, this.report);
    throw error;
  }

  login(user: LoginInput, data?: SessionData): Promise<CreatedSession> {
    return this.#login(user, data).catch((error) => this.#noteFailure(error));
  }

  logout(): Promise<boolean> {
    return this.#logout().catch((error) => this.#noteFailure(error));
  }

  logoutEverywhere(options: LogoutEverywhereOptions = {}): Promise<number> {
    return this.#logoutEverywhere(options).catch((error) => this.#noteFailure(error));
  }

  async #login(user: LoginInput, data?: SessionData): Promise<CreatedSession> {
    const input = typeof user === "string" ? { userId: user, data } : user;
    // The session a request already carries never survives a login: whoever planted or shared
    // it must not end up holding the freshly authenticated session.
    if (this.session) {
      await this.sessions.revoke(this.session.id);
      this.#forget();
    }
    const guestToken = this.#guestToken;
    const login = {
      userId: input?.userId,
      ...(input?.data !== undefined ? { data: input.data } : {}),
      ...(input?.policy !== undefined ? { policy: input.policy } : {}),
      client: this.client,
    };
    // A guest logging in: its data carried over, its session ended, a new id and secret.
    const created =
      guestToken !== null
        ? await this.sessions.upgrade(guestToken, login)
        : await this.sessions.create(login);
    this.guest = null;
    this.#guestToken = null;
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

  async #logout(): Promise<boolean> {
    const ended = this.session ? await this.sessions.revoke(this.session.id) : false;
    this.#forget();
    this.onSessionChange?.(null);
    return ended;
  }

  async #logoutEverywhere(options: LogoutEverywhereOptions): Promise<number> {
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

  startGuest(data?: SessionData): Promise<GuestSession | null> {
    return this.#startGuest(data).catch((error) => this.#noteFailure(error));
  }

  async #startGuest(data?: SessionData): Promise<GuestSession | null> {
    if (this.session) return null;
    if (this.guest) return this.guest;
    const created = await this.sessions.createGuest({
      ...(data !== undefined ? { data } : {}),
      client: this.client,
    });
    this.guest = created.guest;
    this.#guestToken = created.token;
    this.source ??= "cookie";
    this.#write(created.token, created.guest, true);
    // The response now carries the guest's cookie: integrations that write effects only after a
    // change (Express) must hear of it.
    this.onSessionChange?.(this.session);
    return created.guest;
  }

  updateGuest(
    data: SessionData | ((current: SessionData) => SessionData),
  ): Promise<GuestSession | null> {
    return this.#updateGuest(data).catch((error) => this.#noteFailure(error));
  }

  async #updateGuest(
    data: SessionData | ((current: SessionData) => SessionData),
  ): Promise<GuestSession | null> {
    if (!this.guest) return null;
    const updated = await this.sessions.update(this.guest.id, data, { guests: true });
    this.guest = updated !== null && updated.userId === null ? updated : null;
    return this.guest;
  }

  impersonate(targetUserId: string, options: GateImpersonateOptions): Promise<CreatedSession> {
    return this.#impersonate(targetUserId, options).catch((error) => this.#noteFailure(error));
  }

  async #impersonate(
    targetUserId: string,
    options: GateImpersonateOptions,
  ): Promise<CreatedSession> {
    const admin = this.session;
    const adminToken = this.token;
    if (!admin || !adminToken) throw new InvalidArgumentError("impersonate needs a session");
    const created = await this.sessions.impersonate(admin, targetUserId, {
      reason: options?.reason,
      client: this.client,
      ...(options?.data !== undefined ? { data: options.data } : {}),
    });
    // The admin's own token waits in its own HttpOnly cookie, with the session cookie's
    // attributes (a `__Host-` name keeps its prefix), for `stopImpersonating`.
    const kept = this.sessions.cookie.issue(adminToken, admin.expiresAt);
    this.#impersonatorCookie = { ...kept, name: impersonatorCookieName(kept.name) };
    this.#impersonatorToken = adminToken;
    this.session = created.session;
    this.token = created.token;
    this.source ??= "cookie";
    this.#write(created.token, created.session, true);
    this.onSessionChange?.(this.session);
    return created;
  }

  stopImpersonating(): Promise<Session | null> {
    return this.#stopImpersonating().catch((error) => this.#noteFailure(error));
  }

  async #stopImpersonating(): Promise<Session | null> {
    const acting = this.session;
    if (!acting || acting.impersonatedBy === null) return null;
    const adminToken = this.#keptAdminToken();
    const stopped = await this.sessions.stopImpersonating(acting.id);
    this.#forget();
    // Back to the admin only with a token that validates now as that very admin.
    const back =
      adminToken !== null && stopped !== null
        ? await this.sessions.validate(adminToken, this.client, this.#device)
        : null;
    if (back?.ok && back.session.userId === stopped?.impersonatedBy) {
      this.session = back.session;
      this.token = back.token ?? adminToken;
      this.#write(this.token as string, back.session, true);
    }
    this.onSessionChange?.(this.session);
    return this.session;
  }

  /** The admin token of the request's impersonator cookie (or the one set here), or `null`. */
  #keptAdminToken(): string | null {
    if (this.#impersonatorToken === undefined) {
      const name = impersonatorCookieName(this.sessions.cookie.name);
      const header = this.#request ? readHeader(this.#request, "cookie") : null;
      this.#impersonatorToken = cookieValues(header, name, 1)[0] ?? null;
    }
    return this.#impersonatorToken;
  }

  #impersonatorClear(): CookieValue {
    const cleared = this.sessions.cookie.clear();
    return { ...cleared, name: impersonatorCookieName(cleared.name) };
  }

  rotate(): Promise<Session | null> {
    return this.#renew((token) => this.sessions.rotate(token, this.client, this.#device)).catch(
      (error) => this.#noteFailure(error),
    );
  }

  reauthenticate(): Promise<Session | null> {
    return this.#renew((token) =>
      this.sessions.reauthenticate(token, this.client, this.#device),
    ).catch((error) => this.#noteFailure(error));
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
    const session = this.#sessionCookie;
    const device = this.#deviceCookie;
    if (
      session === null &&
      device === null &&
      this.#bearerToken === null &&
      this.#extraHeaders === null &&
      this.#impersonatorCookie === null
    ) {
      return null;
    }
    // A response that carries a token must never be stored by a shared cache and handed to
    // the next visitor, whatever caching the handler asked for.
    const headers: Record<string, string> = { ...this.#extraHeaders, "cache-control": NO_STORE };
    if (this.#bearerToken !== null) headers[TOKEN_HEADER] = this.#bearerToken;
    const cookies =
      session === null
        ? device === null
          ? []
          : [device]
        : device === null
          ? [session]
          : [session, device];
    const impersonator = this.#impersonatorCookie;
    return { cookies: impersonator === null ? cookies : [...cookies, impersonator], headers };
  }
}
