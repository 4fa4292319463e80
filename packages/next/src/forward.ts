/**
 * The proxy's verdict for the render of the same request (server components cannot write a
 * rotated cookie, so they must not validate), in a request header signed with HMAC-SHA256.
 */
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { InvalidArgumentError, type InvalidReason, TesseraConfigError } from "@tessera/core";
import type {
  CheckedSession,
  GuestSessionJson,
  SessionJson,
  TokenSourceKind,
} from "@tessera/core/http";
import { guestFromJson, guestToJson, sessionFromJson, sessionToJson } from "@tessera/core/http";

/** Request header carrying the proxy's signed verdict to server components and actions. */
export const FORWARDED_SESSION_HEADER = "x-tessera-session";

const CONTEXT = "tessera-next-forward/v1.";
const MAX_AGE_MS = 60_000; // outlives the render; caps the replay of a leaked value
const MAX_SKEW_MS = 5_000; // clocks of a proxy on another machine (shared secret)
const MAX_VALUE_LENGTH = 16 * 1024; // larger: `session.data` is misused
const PROCESS_KEY = Symbol.for("@tessera/next:forward-key");
const HMAC = { name: "HMAC", hash: "SHA-256" } as const;
const encoder = new TextEncoder();

/**
 * The HMAC key of the forwarded header: one random key per process, kept on `globalThis` since
 * Next.js compiles the proxy and the app into separate module graphs, or one derived from
 * `secret` (at least 32 characters) alike in every process.
 * @throws TesseraConfigError for a short secret.
 */
export function forwardKey(secret?: string): Promise<CryptoKey> {
  const usages: KeyUsage[] = ["sign", "verify"];
  const holder = globalThis as { [PROCESS_KEY]?: Promise<CryptoKey> };
  if (secret === undefined) {
    holder[PROCESS_KEY] ??= crypto.subtle.generateKey(HMAC, false, usages) as Promise<CryptoKey>;
    return holder[PROCESS_KEY];
  }
  if (typeof secret !== "string" || secret.length < 32) {
    throw new TesseraConfigError("secret must be a string of at least 32 characters");
  }
  return crypto.subtle.importKey("raw", encoder.encode(secret), HMAC, false, usages);
}

/** What the proxy found, as it is forwarded; `issued`: its response carries a new token. */
export type ForwardedState = CheckedSession & { issued: boolean };
/**
 * The signed payload: session, reason, token (never leaves the server), source, issued, at, and
 * the guest session (the token is then the guest's).
 */
type Payload = [
  SessionJson | null,
  InvalidReason | null,
  ...Token,
  boolean,
  number,
  GuestSessionJson | null,
];
type Token = [string | null, TokenSourceKind | null];

/** Signs the proxy's verdict. @throws InvalidArgumentError for a session too large (16 KB). */
export async function signForwardedSession(
  { session, reason, token, source, issued, guest }: ForwardedState,
  key: CryptoKey,
  now: number = Date.now(),
): Promise<string> {
  const payload: Payload = [
    session && sessionToJson(session),
    reason,
    token,
    source,
    issued,
    now,
    guest ? guestToJson(guest) : null,
  ];
  const body = encodeBase64urlNoPadding(encoder.encode(JSON.stringify(payload)));
  if (body.length > MAX_VALUE_LENGTH - 100) {
    throw new InvalidArgumentError("session too large to forward (16 KB): keep session.data small");
  }
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(CONTEXT + body));
  return `v1.${body}.${encodeBase64urlNoPadding(new Uint8Array(mac))}`;
}

/** `verified`: what the proxy found; `missing`: it did not run; `invalid`: forged or stale. */
export type ForwardedVerdict =
  | ({ status: "verified" } & ForwardedState)
  | { status: "missing" | "invalid" };

const INVALID = { status: "invalid" } as const;
const nullOr = (value: unknown, type: string) => value === null || typeof value === type;

/** Verifies a forwarded value: the MAC first (constant time), then its shape and age (1 min). */
export async function readForwardedSession(
  value: string | null | undefined,
  key: CryptoKey,
  now: number = Date.now(),
): Promise<ForwardedVerdict> {
  if (value === null || value === undefined) return { status: "missing" };
  const [version, body, mac, extra] = value.split(".");
  if (value.length > MAX_VALUE_LENGTH || version !== "v1" || !body || !mac || extra) return INVALID;
  try {
    const signature = decodeBase64urlIgnorePadding(mac) as Uint8Array<ArrayBuffer>;
    const data = encoder.encode(CONTEXT + body);
    if (!(await crypto.subtle.verify("HMAC", key, signature, data))) return INVALID;
    const json = new TextDecoder().decode(decodeBase64urlIgnorePadding(body));
    const [s, reason, token, source, issued, at, g = null] = JSON.parse(json) as Payload;
    const session = s === null ? null : sessionFromJson(s);
    const guest = g === null ? null : guestFromJson(g);
    const valid =
      (session !== null || s === null) &&
      (guest !== null || g === null) &&
      (session === null || guest === null) &&
      typeof at === "number" &&
      issued === !!issued;
    const sourceOk = source === null || source === "cookie" || source === "bearer";
    if (!valid || !sourceOk || !nullOr(reason, "string") || !nullOr(token, "string"))
      return INVALID;
    if (now - at > MAX_AGE_MS || at - now > MAX_SKEW_MS) return INVALID;
    return { status: "verified", session, reason, token, source, issued, guest };
  } catch {
    return INVALID; // not base64url, not JSON
  }
}
