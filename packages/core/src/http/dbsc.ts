/**
 * What the request gate needs from a DBSC handler (`createDbsc()` of `@tessera/dbsc`): the
 * routes it serves, the bound cookie it reads, and the login offer. Declared here so the gate
 * stays free of JOSE; the handler does the signature checks, core the record rules.
 */
import type { ClientInfo } from "../binding.js";
import type { CookieValue } from "../cookie.js";
import type { Session } from "../session.js";
import type { RequestFacts } from "./facts.js";

/** The two routes a DBSC handler serves. */
export type DbscRoute = "registration" | "refresh";

/** A complete answer the gate served itself (a DBSC route): status, headers, body bytes. */
export interface ServedAnswer {
  status: number;
  /** Lower-case header names; integrations set each one as given. */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** What a DBSC route produced: its answer and the bound cookie to set (or clear), if any. */
export interface DbscOutcome {
  answer: ServedAnswer;
  /** The bound cookie to set (or clear), or `null`. */
  cookie: CookieValue | null;
}

/** The DBSC side of the gate, as `@tessera/dbsc` builds it. */
export interface DbscHandler {
  /** Which DBSC route `path` is (POST only), or `null` for any other path. */
  routeOf(path: string | null | undefined): DbscRoute | null;
  /**
   * Whether `path` is one of the paths the device-bound session does not cover (`excludePaths`):
   * the browser does not keep the bound cookie alive for them, so the gate does not require it
   * there (`dbscExcluded`). Optional, for handlers written before it: none is excluded.
   */
  excludes?(path: string | null | undefined): boolean;
  /** The name of the bound cookie, which the gate reads with the session cookie. */
  readonly cookieName: string;
  /** The cookie value clearing the bound cookie. */
  clearCookie(): CookieValue;
  /**
   * The headers a login response carries to offer registration (`Secure-Session-Registration`),
   * or `null` when the session is gone. One store write (the registration challenge).
   */
  offer(sessionId: string): Promise<Record<string, string> | null>;
  /** Serves the registration route for the request's session (`null`: none). */
  register(
    request: RequestFacts,
    session: Session | null,
    client: ClientInfo,
  ): Promise<DbscOutcome>;
  /** Serves the refresh route for the request's session (`null`: none, e.g. revoked). */
  refresh(request: RequestFacts, session: Session | null, client: ClientInfo): Promise<DbscOutcome>;
}
