/**
 * `@tessera/next/server`: helpers for server components, server actions and route handlers,
 * built on `next/headers`. Server components read the proxy's signed verdict (one HMAC check,
 * memoised per request with React `cache`), never the store. The helpers that change the session
 * write the cookie through `cookies()`, which Next.js allows in server actions and route
 * handlers only.
 */
import {
  InvalidArgumentError,
  type Session,
  type SessionData,
  type Sessions,
  StoreUnavailableError,
  TesseraConfigError,
} from "@tessera/core";
import type { LoginInput, LogoutEverywhereOptions, RequestSession } from "@tessera/core/http";
import { cookies, headers } from "next/headers.js";
import { redirect } from "next/navigation.js";
import { cache } from "react";
import { toNextCookie } from "./cookie.js";
import { forwardedSession, resolveNextOptions, type TesseraNextOptions } from "./options.js";
import { nextFacts } from "./request.js";

/** Options of `tesseraServer`. */
export interface TesseraServerOptions extends TesseraNextOptions {
  /** Where `requireSession` sends a visitor without a session. @defaultValue `"/login"` */
  loginPath?: string;
  /** Where `requireFresh` sends a session that is not fresh (step-up). @defaultValue `loginPath` */
  freshPath?: string;
}

/** The helpers returned by `tesseraServer`. */
export interface TesseraServer {
  /**
   * The session the proxy validated for this request, or `null`. Costs no store call.
   * @throws TesseraConfigError when the proxy did not run for the route (see its `matcher`) or
   * its verdict does not verify (proxy and app in different processes without a shared `secret`).
   */
  getSession(): Promise<Session | null>;
  /** The session, or a redirect to `loginPath`. */
  requireSession(): Promise<Session>;
  /** A fresh session (recent login or step-up), or a redirect to `freshPath`. */
  requireFresh(): Promise<Session>;
  /** Starts a session for a user whose credentials you checked; sets the cookie. */
  login(user: LoginInput, data?: SessionData): Promise<Session>;
  /** Ends this session and clears the cookie. Resolves `true` if there was one. */
  logout(): Promise<boolean>;
  /** Ends every session of this user (the cookie too), or all but this one with `keepCurrent`. */
  logoutEverywhere(options?: LogoutEverywhereOptions): Promise<number>;
  /** Issues a new secret now (after a privilege change); `null` without a session. */
  rotate(): Promise<Session | null>;
  /** Step-up done (password re-checked): new secret, fresh session, new cookie. */
  reauthenticate(): Promise<Session | null>;
}

function checkPath(name: string, path: unknown, fallback: string): string {
  if (path === undefined) return fallback;
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
    throw new TesseraConfigError(`${name} must be a path on this site, like "/login"`);
  }
  return path;
}

/**
 * Binds the server helpers to a session manager; call it once in a server-only module and
 * export what you use. Give it the same options as `tesseraProxy`.
 *
 * @example
 * ```ts
 * export const { getSession, requireSession, login, logout } = tesseraServer(sessions);
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export function tesseraServer(
  sessions: Sessions,
  options: TesseraServerOptions = {},
): TesseraServer {
  const { loginPath: login, freshPath: fresh, ...shared } = options;
  const resolved = resolveNextOptions(sessions, shared);
  const loginPath = checkPath("loginPath", login, "/login");
  const freshPath = checkPath("freshPath", fresh, loginPath);

  async function verdictOf() {
    return forwardedSession(await headers(), resolved);
  }
  // Memoised per request in server components; a plain call elsewhere (actions, routes).
  const requestVerdict = typeof cache === "function" ? cache(verdictOf) : verdictOf;

  async function getSession(): Promise<Session | null> {
    const verdict = await requestVerdict();
    if (verdict.status === "verified") return verdict.session;
    throw new TesseraConfigError(
      verdict.status === "missing"
        ? "getSession(): the Tessera proxy did not run for this request; export tesseraProxy " +
            "from proxy.ts and make its matcher cover this route"
        : "getSession(): the forwarded session does not verify; when the proxy and the app run " +
            "in different processes, give tesseraProxy and tesseraServer the same `secret`",
    );
  }

  /** Runs a helper on the request's state, then writes its cookie through `cookies()`. */
  async function act<T>(run: (state: RequestSession) => Promise<T>): Promise<T> {
    const headerList = await headers();
    // Server actions are POSTs; Next.js checks their origin itself, the gate checks it again.
    const facts = nextFacts("POST", headerList, undefined, resolved.getDeviceId?.(headerList));
    const verdict = await requestVerdict();
    const state =
      verdict.status === "verified"
        ? resolved.gate.resume(verdict, facts)
        : await resolved.gate.open(facts);
    if (state.refusal) {
      if (state.refusal.status === 503)
        throw new StoreUnavailableError("session store unavailable");
      throw new InvalidArgumentError(`request refused: ${state.refusal.body}`);
    }
    const result = await run(state);
    const effects = state.effects();
    if (effects?.setCookie) (await cookies()).set(toNextCookie(effects.setCookie));
    // The DBSC bound cookie (cleared on logout). A server action cannot add other headers, so
    // a login here offers no DBSC registration: log in through a route handler for that.
    if (effects?.deviceCookie) (await cookies()).set(toNextCookie(effects.deviceCookie));
    return result;
  }

  return {
    getSession,
    async requireSession() {
      const session = await getSession();
      if (!session) redirect(loginPath);
      return session;
    },
    async requireFresh() {
      const session = await getSession();
      if (!session) redirect(loginPath);
      if (!session.fresh) redirect(freshPath);
      return session;
    },
    login: (user, data) => act(async (state) => (await state.login(user, data)).session),
    logout: () => act((state) => state.logout()),
    logoutEverywhere: (logoutOptions) => act((state) => state.logoutEverywhere(logoutOptions)),
    rotate: () => act((state) => state.rotate()),
    reauthenticate: () => act((state) => state.reauthenticate()),
  };
}
