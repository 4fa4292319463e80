/** `@tessera/next/server`: the proxy's verdict for server components; actions write cookies. */
import type { Session, Sessions } from "@tessera/core";
import { InvalidArgumentError, StoreUnavailableError, TesseraConfigError } from "@tessera/core";
import type { RequestSession } from "@tessera/core/http";
import { cookies, headers } from "next/headers.js";
import { redirect } from "next/navigation.js";
import { cache } from "react";
import { nextCookie, nextGate, type TesseraNextOptions } from "./request.js";

/** Options of `tesseraServer`. */
export interface TesseraServerOptions extends TesseraNextOptions {
  /** Where `requireSession` sends a visitor without a session. @defaultValue `"/login"` */
  loginPath?: string;
  /** Where `requireFresh` sends a session that is not fresh (step-up). @defaultValue `loginPath` */
  freshPath?: string;
}
/**
 * The helpers returned by `tesseraServer`: the gate's own `login`, `logout`, `logoutEverywhere`,
 * `rotate` and `reauthenticate` (each writes its cookies through `cookies()`), and the readers.
 */
export interface TesseraServer
  extends Pick<
    RequestSession,
    "login" | "logout" | "logoutEverywhere" | "rotate" | "reauthenticate"
  > {
  /** The proxy's session for this request, or `null`. @throws TesseraConfigError: no verdict. */
  getSession(): Promise<Session | null>;
  /** The session, or a redirect to `loginPath`. */
  requireSession(): Promise<Session>;
  /** A fresh session (recent login or step-up), or a redirect to `freshPath`. */
  requireFresh(): Promise<Session>;
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
  const { loginPath = "/login", freshPath = loginPath, ...shared } = options;
  for (const path of [loginPath, freshPath]) {
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
      throw new TesseraConfigError(`loginPath and freshPath must be paths on this site: ${path}`);
    }
  }
  const next = nextGate(sessions, shared);
  const verdictOf = async () => next.verdict(await headers());
  // Memoised per request in server components; a plain call elsewhere (actions, routes).
  const requestVerdict = typeof cache === "function" ? cache(verdictOf) : verdictOf;

  async function getSession(): Promise<Session | null> {
    const verdict = await requestVerdict();
    if (verdict.status === "verified") return verdict.session;
    throw new TesseraConfigError(
      verdict.status === "missing"
        ? "getSession(): tesseraProxy did not run for this request: make its matcher cover it"
        : "getSession(): the verdict does not verify: give the proxy and the app the same secret",
    );
  }

  /**
   * Runs a helper, then writes its cookies through `cookies()`, all a server action can shape:
   * Next.js marks it no-store itself; a login offers no DBSC registration (use `withSession`).
   */
  async function act<T>(run: (state: RequestSession) => Promise<T>): Promise<T> {
    // Server actions are POSTs; Next.js checks their origin itself, the gate checks it again.
    const state = await next.state(await requestVerdict(), next.facts("POST", await headers()));
    if (state.refusal?.status === 503) throw new StoreUnavailableError("session store unavailable");
    if (state.refusal) throw new InvalidArgumentError(`request refused: ${state.refusal.body}`);
    const result = await run(state);
    const jar = await cookies();
    for (const cookie of state.effects()?.cookies ?? []) jar.set(nextCookie(cookie));
    return result;
  }

  return {
    getSession,
    requireSession: async () => (await getSession()) ?? redirect(loginPath),
    async requireFresh() {
      const session = (await getSession()) ?? redirect(loginPath);
      return session.fresh ? session : redirect(freshPath);
    },
    login: (user, data) => act((state) => state.login(user, data)),
    logout: () => act((state) => state.logout()),
    logoutEverywhere: (logoutOptions) => act((state) => state.logoutEverywhere(logoutOptions)),
    rotate: () => act((state) => state.rotate()),
    reauthenticate: () => act((state) => state.reauthenticate()),
  };
}
