/** Next.js requests as the gate's facts, its answers and effects onto Next.js responses. */
import { type Sessions, TesseraConfigError } from "@tessera/core";
import type { CookieValue, GateOptions, RequestFacts, ResponseEffects } from "@tessera/core/http";
import { createGate, presentedSessionIds, withEffects } from "@tessera/core/http";
import {
  FORWARDED_SESSION_HEADER,
  type ForwardedVerdict,
  forwardKey,
  readForwardedSession,
} from "./forward.js";

/** Read-only header access shared by `Request.headers` and `next/headers`' `headers()`. */
export type HeaderReader = Pick<Headers, "get">;

/** Options shared by `tesseraProxy`, `withSession` and `tesseraServer`; give each the same. */
export interface TesseraNextOptions extends GateOptions {
  /** Key (32+ characters) signing the verdict when proxy and app run apart. @defaultValue random */
  secret?: string;
  /** Device id to bind the session to, from the request headers. @defaultValue none */
  getDeviceId?: (headers: HeaderReader) => string | undefined;
}

/**
 * The gate of one entry point, with the translation of its requests.
 * @throws TesseraConfigError for invalid options.
 */
export function nextGate(sessions: Sessions, options: TesseraNextOptions = {}) {
  const gate = createGate(sessions, options); // checks the options object and the gate's own
  const { secret, getDeviceId } = options;
  if (getDeviceId !== undefined && typeof getDeviceId !== "function") {
    throw new TesseraConfigError("getDeviceId must be a function (headers) => string | undefined");
  }
  const key = forwardKey(secret);
  key.catch(() => {}); // no Web Crypto: reported where the key is used, not at import time
  return {
    gate,
    key,
    /** The facts: no socket address nor TLS flag (`request.url` follows X-Forwarded-Proto). */
    facts(method: string, headers: HeaderReader, path?: string): RequestFacts {
      const deviceId = getDeviceId?.(headers);
      return { method, path, header: (name) => headers.get(name), deviceId };
    },
    /** The proxy's verdict, for a session (or guest) of a token the request carries (no replay). */
    async verdict(headers: HeaderReader): Promise<ForwardedVerdict> {
      const found = await readForwardedSession(headers.get(FORWARDED_SESSION_HEADER), await key);
      if (found.status !== "verified") return found;
      const id = found.session?.id ?? found.guest?.id;
      if (id === undefined) return found;
      const ids = presentedSessionIds(sessions, { header: (name) => headers.get(name) });
      return ids.includes(id) ? found : { status: "invalid" };
    },
    /** The request's state: resumed from a verified verdict, else checked here. */
    state: async (verdict: ForwardedVerdict, facts: RequestFacts) =>
      verdict.status === "verified" ? gate.resume(verdict, facts) : gate.open(facts),
  };
}

/**
 * A gate's cookie as Next.js's cookie options, `maxAge` only when given (none: a browser-session
 * cookie). `maxAge: 0` also expires at the epoch: Next.js drops a zero Max-Age between its jars.
 */
export function nextCookie({ name, value, attributes }: CookieValue) {
  const expires = attributes.maxAge === 0 ? { expires: new Date(0) } : {};
  return { name, value, ...attributes, ...expires };
}

type Jar = { set(cookie: ReturnType<typeof nextCookie>): unknown };

/**
 * Writes the gate's effects: through a `NextResponse`'s cookie API (the render of the request
 * reads them too), else as `Set-Cookie` headers (core's `withEffects`).
 */
export function applyEffects(response: Response, effects: ResponseEffects | null): Response {
  const jar = (response as Response & { cookies?: Jar }).cookies;
  if (!effects || typeof jar?.set !== "function") return withEffects(response, effects);
  for (const cookie of effects.cookies) jar.set(nextCookie(cookie));
  for (const name in effects.headers) response.headers.set(name, effects.headers[name]!);
  return response;
}
