/**
 * Options every entry point shares (proxy, route handlers, server helpers), and the one place
 * that reads the proxy's forwarded verdict for a request.
 */
import { type Sessions, TesseraConfigError } from "@tessera/core";
import { createGate, type Gate, type GateOptions, presentedSessionIds } from "@tessera/core/http";
import {
  FORWARDED_SESSION_HEADER,
  type ForwardedVerdict,
  forwardKey,
  readForwardedSession,
} from "./forward.js";
import type { HeaderReader } from "./request.js";

/** Options shared by `tesseraProxy`, `withSession` and `tesseraServer`; give each the same. */
export interface TesseraNextOptions extends GateOptions {
  /**
   * Key material (at least 32 characters) for the header that carries the proxy's verdict to
   * the render. Only needed when the proxy and the app run in different processes or isolates;
   * give `tesseraProxy`, `withSession` and `tesseraServer` the same one.
   * @defaultValue a random key per process (kept on `globalThis`)
   */
  secret?: string;
  /**
   * Device id to bind the session to, from the request headers (e.g. one your app sets).
   * @defaultValue none
   */
  getDeviceId?: (headers: HeaderReader) => string | undefined;
}

/** Options with defaults applied, built once per factory call. */
export interface ResolvedNextOptions {
  gate: Gate;
  key: Promise<CryptoKey>;
  getDeviceId: ((headers: HeaderReader) => string | undefined) | undefined;
}

/** Applies defaults; throws `TesseraConfigError` for invalid options. */
export function resolveNextOptions(
  sessions: Sessions,
  options: TesseraNextOptions = {},
): ResolvedNextOptions {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("options must be an object");
  }
  const { secret, getDeviceId, ...gateOptions } = options;
  const gate = createGate(sessions, gateOptions);
  if (getDeviceId !== undefined && typeof getDeviceId !== "function") {
    throw new TesseraConfigError("getDeviceId must be a function (headers) => string | undefined");
  }
  const key = forwardKey(secret);
  // An unreachable key (Web Crypto missing) must surface where it is used, not as an
  // unhandled rejection at import time.
  key.catch(() => {});
  return { gate, key, getDeviceId };
}

/**
 * Reads the proxy's verdict for this request. A verified session must also belong to a token
 * the request carries, so a verdict cannot be replayed with another session's cookie.
 */
export async function forwardedSession(
  headers: HeaderReader,
  resolved: ResolvedNextOptions,
): Promise<ForwardedVerdict> {
  const verdict = await readForwardedSession(
    headers.get(FORWARDED_SESSION_HEADER),
    await resolved.key,
  );
  if (verdict.status !== "verified" || verdict.session === null) return verdict;
  const ids = presentedSessionIds(resolved.gate.sessions, { header: (name) => headers.get(name) });
  return ids.includes(verdict.session.id) ? verdict : { status: "invalid" };
}
