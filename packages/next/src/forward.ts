/**
 * The session the proxy validated, handed to the render of the same request in a request
 * header. Server components cannot write cookies, so they must not validate (a rotation there
 * could never reach the browser); instead they read what the proxy found. The header is signed
 * with HMAC-SHA256 (Web Crypto) so that a client cannot forge it on a route the proxy did not
 * cover: a per-process random key by default, or a shared `secret` when the proxy and the render
 * run in different processes.
 */
import {
  InvalidArgumentError,
  type InvalidReason,
  type Session,
  TesseraConfigError,
} from "@tessera/core";
import type { CheckedSession, TokenSourceKind } from "@tessera/core/http";

/** Request header carrying the proxy's signed verdict to server components and actions. */
export const FORWARDED_SESSION_HEADER = "x-tessera-session";

const VERSION = "v1";
const CONTEXT = "tessera-next-forward/v1.";
/**
 * How long a signed verdict is accepted after the proxy issued it. It only has to outlive the
 * render of the request it was issued for; the bound also caps the replay of a leaked value.
 */
const MAX_AGE_MS = 60_000;
/** Clock difference tolerated when the proxy runs on another machine (shared secret). */
const MAX_SKEW_MS = 5_000;
const MIN_SECRET_LENGTH = 32;
/** Upper bound of a header value; a session this large means `session.data` is misused. */
const MAX_VALUE_LENGTH = 16 * 1024;
const PROCESS_KEY = Symbol.for("@tessera/next:forward-key");

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

type KeyHolder = { [PROCESS_KEY]?: Promise<CryptoKey> };
const derivedKeys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key of the forwarded header. Without `secret`, one random key per process, kept on
 * `globalThis` because Next.js compiles the proxy and the app into separate module graphs that
 * share only the process. With `secret` (at least 32 characters), a key every process derives
 * alike. Throws `TesseraConfigError` for a short secret.
 */
export function forwardKey(secret?: string): Promise<CryptoKey> {
  if (secret === undefined) {
    const holder = globalThis as KeyHolder;
    holder[PROCESS_KEY] ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]) as Promise<CryptoKey>;
    return holder[PROCESS_KEY];
  }
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
    throw new TesseraConfigError(
      `secret must be a string of at least ${MIN_SECRET_LENGTH} characters (e.g. 32 random bytes, base64)`,
    );
  }
  let key = derivedKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    derivedKeys.set(secret, key);
  }
  return key;
}

interface WireSession {
  id: string;
  userId: string;
  data: Session["data"];
  createdAt: number;
  authenticatedAt: number;
  lastActiveAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  fresh: boolean;
  client: Session["client"];
  bindingChanged: boolean;
  /** Device-bound (DBSC); absent in a header signed before the field existed. */
  deviceBound?: boolean;
}

interface WirePayload {
  /** The validated session, or `null`: the proxy found none. */
  s: WireSession | null;
  /** Why a presented token was refused, or `null`. */
  r: InvalidReason | null;
  /**
   * The session's current token (rotated if the proxy rotated it), so that a route handler or
   * action can rotate or step up from it. It never leaves the server: Next.js hands request
   * headers set by the proxy to the render only.
   */
  k: string | null;
  /** Where the request carried its token. */
  o: TokenSourceKind | null;
  /** The proxy's response carries a token (a rotation): the final response must not be cached. */
  i: boolean;
  /** Issued at, epoch milliseconds. */
  t: number;
}

/** What the proxy found, as it is forwarded. */
export interface ForwardedState extends CheckedSession {
  /** The proxy's response carries a new token. */
  issued: boolean;
}

function toWire(session: Session): WireSession {
  return {
    id: session.id,
    userId: session.userId,
    data: session.data,
    createdAt: session.createdAt.getTime(),
    authenticatedAt: session.authenticatedAt.getTime(),
    lastActiveAt: session.lastActiveAt.getTime(),
    expiresAt: session.expiresAt.getTime(),
    absoluteExpiresAt: session.absoluteExpiresAt.getTime(),
    fresh: session.fresh,
    client: session.client,
    bindingChanged: session.bindingChanged,
    deviceBound: session.deviceBound,
  };
}

function fromWire(wire: WireSession): Session {
  return {
    id: wire.id,
    userId: wire.userId,
    data: wire.data,
    createdAt: new Date(wire.createdAt),
    authenticatedAt: new Date(wire.authenticatedAt),
    lastActiveAt: new Date(wire.lastActiveAt),
    expiresAt: new Date(wire.expiresAt),
    absoluteExpiresAt: new Date(wire.absoluteExpiresAt),
    fresh: wire.fresh,
    client: wire.client,
    bindingChanged: wire.bindingChanged,
    deviceBound: wire.deviceBound === true,
  };
}

/**
 * Signs the proxy's verdict (`null` = no session) for the forwarded request header. Throws
 * `InvalidArgumentError` when the session (its `data`) is too large for a header.
 */
export async function signForwardedSession(
  found: ForwardedState,
  key: CryptoKey,
  now: number = Date.now(),
): Promise<string> {
  const payload: WirePayload = {
    s: found.session ? toWire(found.session) : null,
    r: found.reason,
    k: found.token,
    o: found.source,
    i: found.issued,
    t: now,
  };
  const body = toBase64Url(encoder.encode(JSON.stringify(payload)));
  if (body.length > MAX_VALUE_LENGTH - 100) {
    throw new InvalidArgumentError(
      "session too large to forward to the render (over 16 KB): keep session.data small",
    );
  }
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(CONTEXT + body));
  return `${VERSION}.${body}.${toBase64Url(new Uint8Array(mac))}`;
}

/** What the render learns from the forwarded header. */
export type ForwardedVerdict =
  /** The proxy ran for this request: what it found. */
  | ({ status: "verified" } & ForwardedState)
  /** No header: the proxy did not run for this request (matcher) or was bypassed. */
  | { status: "missing" }
  /** A header the proxy of this deployment did not sign (forged, stale, or another key). */
  | { status: "invalid" };

function isWirePayload(value: unknown): value is WirePayload {
  if (!value || typeof value !== "object") return false;
  const payload = value as WirePayload;
  if (typeof payload.t !== "number" || typeof payload.i !== "boolean") return false;
  if (payload.r !== null && typeof payload.r !== "string") return false;
  if (payload.k !== null && typeof payload.k !== "string") return false;
  if (payload.o !== null && payload.o !== "cookie" && payload.o !== "bearer") return false;
  if (payload.s === null) return true;
  const s = payload.s;
  return (
    !!s &&
    typeof s === "object" &&
    typeof s.id === "string" &&
    typeof s.userId === "string" &&
    typeof s.expiresAt === "number" &&
    typeof s.fresh === "boolean"
  );
}

/**
 * Verifies a forwarded header value. The MAC is checked by Web Crypto (constant time) before
 * the payload is parsed; a verdict older than a minute is refused.
 */
export async function readForwardedSession(
  value: string | null | undefined,
  key: CryptoKey,
  now: number = Date.now(),
): Promise<ForwardedVerdict> {
  if (value === null || value === undefined) return { status: "missing" };
  if (value.length > MAX_VALUE_LENGTH) return { status: "invalid" };
  const [version, body, mac, extra] = value.split(".");
  if (version !== VERSION || body === undefined || mac === undefined || extra !== undefined) {
    return { status: "invalid" };
  }
  const signature = fromBase64Url(mac);
  const payloadBytes = fromBase64Url(body);
  if (!signature || !payloadBytes) return { status: "invalid" };
  const genuine = await crypto.subtle.verify(
    "HMAC",
    key,
    signature,
    encoder.encode(CONTEXT + body),
  );
  if (!genuine) return { status: "invalid" };
  let payload: unknown;
  try {
    payload = JSON.parse(decoder.decode(payloadBytes));
  } catch {
    return { status: "invalid" };
  }
  if (!isWirePayload(payload)) return { status: "invalid" };
  if (now - payload.t > MAX_AGE_MS || payload.t - now > MAX_SKEW_MS) return { status: "invalid" };
  return {
    status: "verified",
    session: payload.s ? fromWire(payload.s) : null,
    reason: payload.r,
    token: payload.k,
    source: payload.o,
    issued: payload.i,
  };
}
