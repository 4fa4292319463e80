/**
 * `@tessera/next/server`: helpers for server components, server actions and route handlers,
 * built on `next/headers`. Server components read the proxy's signed verdict (one HMAC check,
 * memoised per request with React `cache`), never the store. The actions that change the
 * session (`login`, `logout`, `logoutEverywhere`) write the cookie through `cookies()`, which
 * Next.js allows in server actions and route handlers only.
 */
import {
  type ClientInfo,
  guardSession,
  readRequestSession,
  type Session,
  type SessionData,
  type Sessions,
  TesseraConfigError,
} from "@tessera/core";
import { cookies, headers } from "next/headers.js";
import { redirect } from "next/navigation.js";
import { cache } from "react";
import { toNextCookie } from "./cookie.js";
import {
  forwardedSession,
  type ResolvedNextOptions,
  resolveNextOptions,
  type TesseraNextOptions,
} from "./options.js";
import { sessionFacts } from "./request.js";

/** Options of `tesseraServer`. */
export interface TesseraServerOptions extends TesseraNextOptions {
  /** Where `requireSession` sends a visitor without a session. Default `/login`. */
  loginPath?: string;
  /** Where `requireFresh` sends a session that is not fresh (step-up). Default `loginPath`. */
  freshPath?: string;
}

/** The helpers returned by `tesseraServer`. */
export interface TesseraServer {
  /**
   * The session the proxy validated for this request, or `null`. Costs no store call. Throws
   * `TesseraConfigError` when the proxy did not run for the route (see its `matcher`) or its
   * verdict does not verify (proxy and app in different processes without a shared `secret`).
   */
  getSession(): Promise<Session | null>;
  /** The session, or a redirect to `loginPath`. */
  requireSession(): Promise<Session>;
  /** A fresh session (recent login or step-up), or a redirect to `freshPath` / `loginPath`. */
  requireFresh(): Promise<Session>;
  /**
   * Server actions and route handlers: starts a session for a user whose credentials you have
   * checked, sets its cookie, and ends the request's previous session, if any.
   */
  login(input: { userId: string; data?: SessionData }): Promise<Session>;
  /** Server actions and route handlers: ends this session and clears the cookie. */
  logout(): Promise<boolean>;
  /**
   * Server actions and route handlers: ends every session of this user (all devices) and
   * clears the cookie, or keeps the current session with `keepCurrent: true`.
   * Resolves to the number of sessions ended.
   */
  logoutEverywhere(options?: { keepCurrent?: boolean }): Promise<number>;
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
 * export what you use. Give it the same options as `tesseraProxy`. Throws `TesseraConfigError`
 * for invalid options.
 */
export function tesseraServer(
  sessions: Sessions,
  options: TesseraServerOptions = {},
): TesseraServer {
  const resolved: ResolvedNextOptions = resolveNextOptions(sessions, options);
  const loginPath = checkPath("loginPath", options.loginPath, "/login");
  const freshPath = checkPath("freshPath", options.freshPath, loginPath);

  async function verdictOf() {
    return forwardedSession(sessions, await headers(), resolved);
  }
  // Memoised per request in server components; a plain call elsewhere (actions, routes).
  const requestVerdict = typeof cache === "function" ? cache(verdictOf) : verdictOf;

  async function getSession(): Promise<Session | null> {
    const verdict = await requestVerdict();
    if (verdict.status === "verified") return verdict.session;
    if (verdict.status === "missing") {
      throw new TesseraConfigError(
        "getSession(): the Tessera proxy did not run for this request; export tesseraProxy from " +
          "proxy.ts and make its matcher cover this route",
      );
    }
    throw new TesseraConfigError(
      "getSession(): the forwarded session does not verify; when the proxy and the app run in " +
        "different processes, give tesseraProxy and tesseraServer the same `secret`",
    );
  }

  /**
   * The session for a helper that may write cookies: the proxy's verdict when there is one,
   * else one validation here (the rotated cookie, if any, is written at once).
   */
  async function actionSession(client: ClientInfo): Promise<Session | null> {
    const verdict = await requestVerdict();
    if (verdict.status === "verified") return verdict.session;
    const found = await readRequestSession(sessions, sessionFacts(await headers()), client);
    if (found.setCookie) (await cookies()).set(toNextCookie(found.setCookie));
    return found.session;
  }

  async function clearCookie() {
    (await cookies()).set(toNextCookie(sessions.cookie.blank()));
  }

  return {
    getSession,

    async requireSession() {
      const session = await getSession();
      if (guardSession({ session, reason: null }, false) || !session) redirect(loginPath);
      return session;
    },

    async requireFresh() {
      const session = await getSession();
      const refused = guardSession({ session, reason: null }, true);
      if (refused || !session) redirect(refused?.status === 403 ? freshPath : loginPath);
      return session;
    },

    async login(input) {
      const client = resolved.client(await headers());
      const previous = await actionSession(client);
      const created = await sessions.create({
        userId: input.userId,
        ...(input.data !== undefined ? { data: input.data } : {}),
        client,
      });
      if (previous) await sessions.revoke(previous.id);
      (await cookies()).set(
        toNextCookie(sessions.cookie.serialize(created.token, created.session.expiresAt)),
      );
      return created.session;
    },

    async logout() {
      const session = await actionSession(resolved.client(await headers()));
      const ended = session ? await sessions.revoke(session.id) : false;
      await clearCookie();
      return ended;
    },

    async logoutEverywhere(logoutOptions) {
      const session = await actionSession(resolved.client(await headers()));
      if (!session) {
        await clearCookie();
        return 0;
      }
      if (logoutOptions?.keepCurrent) {
        return sessions.revokeAll(session.userId, { except: session.id });
      }
      const count = await sessions.revokeAll(session.userId);
      await clearCookie();
      return count;
    },
  };
}
