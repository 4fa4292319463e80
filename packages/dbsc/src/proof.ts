/**
 * DBSC proofs (the draft's "DBSC proof": a JWT with `typ: dbsc+jwt`), verified with `jose`. A
 * registration proof carries its public key in the `jwk` header and is checked against it (that
 * proves possession); a refresh proof is checked against the key the session registered.
 */
import type { DeviceProof, DeviceRegistration } from "@tessera/core/http";
import type { StoredSessionKey } from "@tessera/core/store";
import {
  type CompactJWSHeaderParameters,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  errors,
  importJWK,
  type JWK,
} from "jose";

/** The signing algorithms the draft names besides `none`, which Tessera does not accept. */
export const PROOF_ALGORITHMS = ["ES256", "RS256"] as const;
/** A proof's `typ` header, exactly as the draft gives it. */
export const PROOF_TYPE = "dbsc+jwt";

type Algorithm = (typeof PROOF_ALGORITHMS)[number];

const MAX_PROOF_LENGTH = 8192;

function isAlgorithm(value: unknown): value is Algorithm {
  return value === "ES256" || value === "RS256";
}

/** The public members of a JWK the algorithm needs, or `null` when the key does not fit it. */
function publicJwk(jwk: unknown, alg: Algorithm): Record<string, string> | null {
  if (!jwk || typeof jwk !== "object" || Array.isArray(jwk)) return null;
  const key = jwk as Record<string, unknown>;
  // A private member in a header means a broken client; never store it.
  if ("d" in key || "p" in key || "q" in key) return null;
  const members = alg === "ES256" ? ["kty", "crv", "x", "y"] : ["kty", "n", "e"];
  const kept: Record<string, string> = {};
  for (const member of members) {
    const value = key[member];
    if (typeof value !== "string" || value.length === 0) return null;
    kept[member] = value;
  }
  if (alg === "ES256" && (kept.kty !== "EC" || kept.crv !== "P-256")) return null;
  if (alg === "RS256" && kept.kty !== "RSA") return null;
  return kept;
}

/** What the proof's claims must say besides `jti`, the challenge it answers. */
export interface ClaimRules {
  /** The `authorization` value the registration header carried, if any: the proof must repeat it. */
  authorization?: string;
  /** Accepts a proof's `aud`, when it has one (the draft does not require it). */
  audience?: (aud: string) => boolean;
}

/**
 * The claims of a verified proof. Read by hand rather than with `jwtVerify`, whose checks of
 * registered claims (`iat` must be a number, ...) the draft does not ask for and a browser's
 * proof need not meet: what counts is the signature, `typ`, `jti` and, when present, `aud`.
 */
function claimsOf(
  header: CompactJWSHeaderParameters,
  payload: Uint8Array,
): Record<string, unknown> | null {
  if (header.typ !== PROOF_TYPE) return null;
  const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
  return claims && typeof claims === "object" && !Array.isArray(claims)
    ? (claims as Record<string, unknown>)
    : null;
}

function challengeOf(payload: Record<string, unknown> | null, rules: ClaimRules): string | null {
  if (payload === null) return null;
  if (typeof payload.jti !== "string" || payload.jti.length === 0) return null;
  if (rules.authorization !== undefined && payload.authorization !== rules.authorization) {
    return null;
  }
  if (payload.aud !== undefined) {
    const audiences: unknown[] = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const accepts = rules.audience;
    if (!accepts || !audiences.every((aud) => typeof aud === "string" && accepts(aud))) {
      return null;
    }
  }
  return payload.jti;
}

/**
 * Verifies a registration proof: `typ` is `dbsc+jwt`, `alg` ES256 or RS256, the `jwk` header a
 * public key of that algorithm that verifies the signature, and `jti` the challenge it answers.
 * Resolves what `sessions.device.register` takes.
 */
export async function readRegistration(
  proof: string | null,
  rules: ClaimRules = {},
): Promise<DeviceRegistration> {
  const refused = { refused: "malformed-proof" } as const;
  if (!proof || proof.length > MAX_PROOF_LENGTH) return refused;
  try {
    const header = decodeProtectedHeader(proof);
    if (!isAlgorithm(header.alg) || header.typ !== PROOF_TYPE) return refused;
    const jwk = publicJwk(header.jwk, header.alg);
    if (!jwk) return refused;
    const key = await importJWK(jwk as JWK, header.alg);
    const verified = await compactVerify(proof, key, { algorithms: [header.alg] });
    const challenge = challengeOf(claimsOf(verified.protectedHeader, verified.payload), rules);
    if (challenge === null) return refused;
    const thumbprint = await calculateJwkThumbprint(jwk as JWK, "sha256");
    const stored: StoredSessionKey = { alg: header.alg, jwk, thumbprint };
    return { challenge, key: stored };
  } catch {
    return refused;
  }
}

/**
 * Verifies a refresh proof against the session's registered key. A signature that does not
 * verify with that key is `wrong-key` (someone else's key, or none); anything unreadable is
 * `malformed-proof`; otherwise the challenge it answers.
 */
export async function readRefresh(
  proof: string,
  key: StoredSessionKey,
  rules: ClaimRules = {},
): Promise<DeviceProof> {
  if (proof.length > MAX_PROOF_LENGTH) return { refused: "malformed-proof" };
  try {
    const header = decodeProtectedHeader(proof);
    if (header.typ !== PROOF_TYPE || !isAlgorithm(header.alg)) {
      return { refused: "malformed-proof" };
    }
    // Another algorithm than the registered one cannot be the registered key's signature.
    if (header.alg !== key.alg) return { refused: "wrong-key" };
    const verifier = await importJWK(key.jwk as JWK, key.alg);
    const verified = await compactVerify(proof, verifier, { algorithms: [key.alg] });
    const challenge = challengeOf(claimsOf(verified.protectedHeader, verified.payload), rules);
    return challenge === null ? { refused: "malformed-proof" } : { challenge };
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) return { refused: "wrong-key" };
    return { refused: "malformed-proof" };
  }
}
