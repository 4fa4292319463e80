/**
 * Options every entry point shares (proxy, route handlers, server helpers), and the one place
 * that reads the proxy's forwarded verdict for a request.
 */
import {
  createOriginCheck,
  type OriginCheck,
  parseToken,
  type Sessions,
  TesseraConfigError,
} from "@tessera/core";
import {
  FORWARDED_SESSION_HEADER,
  type ForwardedVerdict,
  forwardKey,
  readForwardedSession,
} from "./forward.js";
import { type ClientResolver, defaultClient, type HeaderReader, sessionFacts } from "./request.js";

/** Options shared by `tesseraProxy`, `withSession` and `tesseraServer`; give each the same. */
export interface TesseraNextOptions {
  /**
   * Key material (at least 32 characters) for the header that carries the proxy's verdict to
   * the render. Only needed when the proxy and the app run in different processes; by default
   * each process uses its own random key.
   */
  secret?: string;
  /**
   * Extra origins (`https://admin.example.com`) or hosts (`admin.example.com`) allowed to send
   * unsafe requests; mirror `serverActions.allowedOrigins` of `next.config` (without wildcards).
   */
  allowedOrigins?: string[];
  /** Refuse cross-site unsafe requests with 403. Default `true`. */
  csrf?: boolean;
  /** Derives the client the session is bound to. Default: see `defaultClient`. */
  client?: ClientResolver;
}

/** Options with defaults applied, built once per factory call. */
export interface ResolvedNextOptions {
  key: Promise<CryptoKey>;
  checkOrigin: OriginCheck | null;
  client: ClientResolver;
}

/** Applies defaults; throws `TesseraConfigError` for invalid options. */
export function resolveNextOptions(
  sessions: Sessions,
  options: TesseraNextOptions = {},
): ResolvedNextOptions {
  if (!sessions || typeof sessions.validate !== "function" || !sessions.cookie) {
    throw new TesseraConfigError("pass the object returned by createSessions() first");
  }
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("options must be an object");
  }
  if (options.client !== undefined && typeof options.client !== "function") {
    throw new TesseraConfigError("client must be a function (headers) => ClientInfo");
  }
  const key = forwardKey(options.secret);
  // An unreachable key (Web Crypto missing) must surface where it is used, not as an
  // unhandled rejection at import time.
  key.catch(() => {});
  return {
    key,
    checkOrigin: options.csrf === false ? null : createOriginCheck(options.allowedOrigins),
    client: options.client ?? defaultClient,
  };
}

/**
 * Reads the proxy's verdict for this request. A verified session must also belong to the token
 * the request carries, so a verdict cannot be replayed with another session's cookie.
 */
export async function forwardedSession(
  sessions: Sessions,
  headers: HeaderReader,
  resolved: ResolvedNextOptions,
): Promise<ForwardedVerdict> {
  const verdict = await readForwardedSession(
    headers.get(FORWARDED_SESSION_HEADER),
    await resolved.key,
  );
  if (verdict.status !== "verified" || verdict.session === null) return verdict;
  const presented = sessions.tokenFrom(sessionFacts(headers));
  if (parseToken(presented?.token)?.id !== verdict.session.id) return { status: "invalid" };
  return verdict;
}
