/**
 * What travels on a revocation feed: a message signed with a key the issuer and the verifiers
 * share (HS256, a compact JWS with `kid`, verified by Web Crypto through jose, so the compare is
 * constant time). One key signs, several verify, so the key rotates like the access-token keys.
 * Nothing in a message is used before its signature has been checked.
 */
import { TesseraConfigError } from "@tessera/core";
import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import type { Revocation } from "./feed.js";
import { type AccessTokenJwk, type ImportedKey, importOnce, readKeys } from "./keys.js";

/** `typ` of a revocation message: an access token signed with the same key never passes as one. */
export const REVOCATION_MESSAGE_TYPE = "tessera-revocation";

/** Why a verifier refused a message from the feed (it is never applied). */
export type RevocationRejectReason =
  /** Not a compact JWS: e.g. plain JSON published by anyone with access to the channel. */
  | "unsigned"
  /** Signed, but with a `kid` none of the configured revocation keys has. */
  | "unknown-key"
  /** The signature does not match: another key with the same `kid`, or a tampered message. */
  | "bad-signature"
  /** A valid signature over something that is not a revocation message of this version. */
  | "malformed";

/**
 * One message of a publisher. Every message is a heartbeat; some also carry a revocation, the
 * last one says goodbye. `n` counts every message of this publisher, `revoked` every revocation
 * it signed (published or not): a verifier that sees `revoked` jump knows it missed one.
 */
export interface RevocationMessage {
  /** The publisher's id, random per `revocationPublisher` call. */
  pub: string;
  /** 1, 2, 3, ... for every message of this publisher: a repeated or older `n` is ignored. */
  n: number;
  /** Revocations this publisher has signed so far, this message's included. */
  revoked: number;
  /** When it was signed, epoch milliseconds (publisher's clock). */
  at: number;
  /** Milliseconds until this publisher's next heartbeat at the latest. */
  every: number;
  /**
   * Set after a publish failed: until when (epoch ms) a revocation this publisher could not
   * deliver may still matter. Verifiers ask the store until then.
   */
  lostUntil?: number;
  revocation?: Revocation;
  /** The publisher stopped (`close()`): verifiers stop expecting its heartbeat. */
  bye?: true;
}

/** The checked revocation keys: the first signs, all of them verify. */
export interface RevocationKeyring {
  signingKeyId: string;
  sign(message: RevocationMessage): Promise<string>;
  verify(text: string): Promise<RevocationMessage | RevocationRejectReason>;
}

const MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;
const ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
const MAX_IDS = 100_000;
const PUBLISHER_ID = /^[A-Za-z0-9_-]{8,64}$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ALLOWED_HEADERS = new Set(["alg", "kid", "typ"]);
/** Heartbeat intervals a message may declare, in milliseconds. */
export const MIN_HEARTBEAT_MS = 50;
export const MAX_HEARTBEAT_MS = 60_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Checks the revocation keys (`keys` of the publisher and the subscriber): HS256 JWKs with a
 * `kid` and at least 32 bytes of secret, as `generateSigningKey("HS256")` makes them.
 */
export function readRevocationKeys(
  keys: ReadonlyArray<AccessTokenJwk | string> | undefined,
  where: string,
): RevocationKeyring {
  if (keys === undefined) {
    throw new TesseraConfigError(
      `${where} needs keys: the HS256 key(s) shared by the issuer and the verifiers, e.g. [await generateSigningKey("HS256")]`,
    );
  }
  const entries = readKeys(keys, `${where} keys`);
  for (const entry of entries) {
    if (entry.alg !== "HS256") {
      throw new TesseraConfigError(
        `${where} keys (kid ${entry.kid}): revocation messages are signed with a shared HS256 key, not ${entry.alg}`,
      );
    }
  }
  const byKid = new Map(
    entries.map((entry) => [
      entry.kid,
      importOnce(entry.verifyJwk, "HS256", `revocation key ${entry.kid}`),
    ]),
  );
  const signing = entries[0]!;
  const loadSigningKey = byKid.get(signing.kid)!;

  async function sign(message: RevocationMessage): Promise<string> {
    const key: ImportedKey = await loadSigningKey();
    return new CompactSign(encoder.encode(JSON.stringify(message)))
      .setProtectedHeader({ alg: "HS256", kid: signing.kid, typ: REVOCATION_MESSAGE_TYPE })
      .sign(key);
  }

  async function verify(text: string): Promise<RevocationMessage | RevocationRejectReason> {
    if (typeof text !== "string" || text.length > MAX_MESSAGE_LENGTH || !COMPACT_JWS.test(text)) {
      return "unsigned";
    }
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(text) as Record<string, unknown>;
    } catch {
      return "unsigned";
    }
    const kid = header["kid"];
    const load = typeof kid === "string" ? byKid.get(kid) : undefined;
    if (!load) return "unknown-key";
    // Only what we write: no `crit`, `b64`, `jwk` or anything else that changes how it is read.
    if (Object.keys(header).some((name) => !ALLOWED_HEADERS.has(name))) return "malformed";
    if (header["alg"] !== "HS256" || header["typ"] !== REVOCATION_MESSAGE_TYPE) return "malformed";
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(text, await load(), { algorithms: ["HS256"] }));
    } catch {
      return "bad-signature";
    }
    return readMessage(decoder.decode(payload)) ?? "malformed";
  }

  return { signingKeyId: signing.kid, sign, verify };
}

function ids(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length > MAX_IDS) return null;
  return value.every((id) => typeof id === "string" && ID_PATTERN.test(id)) ? value : null;
}

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isTime = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;

function readRevocation(value: unknown): Revocation | null {
  if (!value || typeof value !== "object") return null;
  const raw = value as Record<string, unknown>;
  const sessionIds = ids(raw["sessionIds"]);
  const userIds = raw["userIds"] === undefined ? [] : ids(raw["userIds"]);
  const { revokedAt, until } = raw;
  if (!sessionIds || !userIds || !isTime(revokedAt) || !isTime(until) || until < revokedAt) {
    return null;
  }
  return { sessionIds, ...(userIds.length > 0 ? { userIds } : {}), revokedAt, until };
}

/** Reads the payload of a verified message, or `null` when it is not one of ours. */
function readMessage(text: string): RevocationMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const raw = value as Record<string, unknown>;
  const { pub, n, revoked, at, every, lostUntil } = raw;
  if (typeof pub !== "string" || !PUBLISHER_ID.test(pub)) return null;
  if (!isCount(n) || n < 1 || !isCount(revoked) || !isTime(at)) return null;
  if (typeof every !== "number" || !(every >= MIN_HEARTBEAT_MS && every <= MAX_HEARTBEAT_MS)) {
    return null;
  }
  const message: RevocationMessage = { pub, n, revoked, at, every };
  if (lostUntil !== undefined) {
    if (!isTime(lostUntil)) return null;
    message.lostUntil = lostUntil;
  }
  if (raw["revocation"] !== undefined) {
    const revocation = readRevocation(raw["revocation"]);
    if (!revocation) return null;
    message.revocation = revocation;
  }
  if (raw["bye"] === true) message.bye = true;
  return message;
}
