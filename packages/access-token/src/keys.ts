/**
 * Signing keys as JSON Web Keys: generation, shape checks, the public view served in a JWK Set,
 * and import into Web Crypto (through jose) with a per-key cache.
 */
import { TesseraConfigError } from "@tessera/core";
import { base64url, exportJWK, generateKeyPair, generateSecret, importJWK } from "jose";

/** The algorithms an access token may be signed with. `EdDSA` means Ed25519. */
export type AccessTokenAlgorithm = "EdDSA" | "ES256" | "HS256";

/** Every algorithm this package signs or verifies; `none` and RSA are never among them. */
export const ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = ["EdDSA", "ES256", "HS256"];

/**
 * A signing or verification key as a JSON Web Key (RFC 7517), as `generateSigningKey` returns
 * it. `kid` and `alg` are required: they pin each key to one algorithm. A private key carries `d`
 * (EdDSA, ES256); a shared secret carries `k` (HS256). Keep private JWKs in a secret manager.
 */
export interface AccessTokenJwk {
  kty: "OKP" | "EC" | "oct";
  kid: string;
  alg: AccessTokenAlgorithm;
  use?: "sig";
  /** `Ed25519` (OKP) or `P-256` (EC). */
  crv?: string;
  x?: string;
  y?: string;
  /** Private key material (EdDSA, ES256). */
  d?: string;
  /** Shared secret (HS256). */
  k?: string;
}

/** A public key as served in a JWK Set: never private or symmetric material. */
export interface PublicJwk {
  kty: "OKP" | "EC";
  kid: string;
  alg: "EdDSA" | "ES256";
  use: "sig";
  crv: string;
  x: string;
  y?: string;
}

/** A JSON Web Key Set (RFC 7517 §5), what `tokens.jwks()` returns and `jwksUrl` serves. */
export interface JsonWebKeySet {
  keys: PublicJwk[];
}

/** A key checked and ready to use: its id, pinned algorithm and whether it can sign. */
export interface KeyEntry {
  kid: string;
  alg: AccessTokenAlgorithm;
  /** The JWK with only the members needed for verification (public part, or the secret). */
  verifyJwk: Record<string, string>;
  /** The full private JWK when this key can sign, else `null`. */
  signJwk: Record<string, string> | null;
  /** The public JWK for a JWK Set, `null` for a shared secret. */
  publicJwk: PublicJwk | null;
}

const CURVE_OF: Record<"EdDSA" | "ES256", { kty: "OKP" | "EC"; crv: string }> = {
  EdDSA: { kty: "OKP", crv: "Ed25519" },
  ES256: { kty: "EC", crv: "P-256" },
};

/** HMAC keys shorter than the hash output (RFC 7518 §3.2) are refused. */
const MIN_SECRET_BYTES = 32;
const MAX_KID_LENGTH = 128;
const KID_PATTERN = /^[A-Za-z0-9._~:@+=-]+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function randomKid(): string {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return base64url.encode(bytes);
}

function checkKid(kid: unknown, where: string): string {
  if (typeof kid !== "string" || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new TesseraConfigError(
      `${where}: "kid" must be a non-empty string of at most ${MAX_KID_LENGTH} characters`,
    );
  }
  if (!KID_PATTERN.test(kid))
    throw new TesseraConfigError(`${where}: "kid" has characters outside [A-Za-z0-9._~:@+=-]`);
  return kid;
}

function member(jwk: Record<string, unknown>, name: string, where: string): string {
  const value = jwk[name];
  if (typeof value !== "string" || !BASE64URL.test(value)) {
    throw new TesseraConfigError(`${where}: "${name}" must be a base64url string`);
  }
  return value;
}

function decodedLength(value: string): number {
  return Math.floor((value.length * 3) / 4);
}

/**
 * Generates a new key for `alg` (default `EdDSA`) and returns it as a private JWK with a random
 * `kid` (or the one given). Store the JSON in a secret manager; `tokens.jwks()` publishes only
 * its public part.
 *
 * ```ts
 * const key = await generateSigningKey("EdDSA");
 * console.log(JSON.stringify(key)); // ACCESS_TOKEN_KEYS='[...]'
 * ```
 *
 * @example
 * ```ts
 * const key = await generateSigningKey("EdDSA");
 * console.log(JSON.stringify(key)); // store it in your secret manager; the first key in `keys` signs
 * ```
 * @throws TesseraConfigError for an algorithm other than `EdDSA`, `ES256` and `HS256`.
 */
export async function generateSigningKey(
  alg: AccessTokenAlgorithm = "EdDSA",
  options: { kid?: string } = {},
): Promise<AccessTokenJwk> {
  const kid = checkKid(options.kid ?? randomKid(), "generateSigningKey");
  if (alg === "HS256") {
    const secret = await generateSecret("HS256", { extractable: true });
    const jwk = await exportJWK(secret);
    return { kty: "oct", kid, alg, use: "sig", k: member(jwk, "k", "generateSigningKey") };
  }
  if (alg !== "EdDSA" && alg !== "ES256") {
    throw new TesseraConfigError(`generateSigningKey: alg must be "EdDSA", "ES256" or "HS256"`);
  }
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    crv: CURVE_OF[alg].crv,
  });
  const jwk = (await exportJWK(privateKey)) as Record<string, unknown>;
  const where = "generateSigningKey";
  const key: AccessTokenJwk = {
    kty: CURVE_OF[alg].kty,
    kid,
    alg,
    use: "sig",
    crv: CURVE_OF[alg].crv,
    x: member(jwk, "x", where),
  };
  if (alg === "ES256") key.y = member(jwk, "y", where);
  key.d = member(jwk, "d", where);
  return key;
}

/**
 * Checks one configured key and splits it into what verification, signing and the JWK Set each
 * need. Accepts the JWK object or its JSON text (e.g. straight from an environment variable).
 * Throws `TesseraConfigError` with the key's position, never its material.
 */
export function readKey(input: unknown, where: string): KeyEntry {
  let jwk: unknown = input;
  if (typeof input === "string") {
    try {
      jwk = JSON.parse(input);
    } catch {
      throw new TesseraConfigError(`${where} is a string but not JSON`);
    }
  }
  if (jwk === null || typeof jwk !== "object" || Array.isArray(jwk)) {
    throw new TesseraConfigError(`${where} must be a JWK object (see generateSigningKey)`);
  }
  const raw = jwk as Record<string, unknown>;
  const kid = checkKid(raw["kid"], where);
  const alg = raw["alg"];
  if (alg !== "EdDSA" && alg !== "ES256" && alg !== "HS256") {
    throw new TesseraConfigError(
      `${where} (kid ${kid}): "alg" must be "EdDSA", "ES256" or "HS256"`,
    );
  }
  if (raw["use"] !== undefined && raw["use"] !== "sig") {
    throw new TesseraConfigError(`${where} (kid ${kid}): "use" must be "sig"`);
  }
  const at = `${where} (kid ${kid})`;
  if (alg === "HS256") {
    if (raw["kty"] !== "oct") throw new TesseraConfigError(`${at}: HS256 needs a "kty": "oct" key`);
    const k = member(raw, "k", at);
    if (decodedLength(k) < MIN_SECRET_BYTES) {
      throw new TesseraConfigError(
        `${at}: an HS256 secret needs at least ${MIN_SECRET_BYTES} bytes`,
      );
    }
    const secret = { kty: "oct", k };
    return { kid, alg, verifyJwk: secret, signJwk: secret, publicJwk: null };
  }
  const { kty, crv } = CURVE_OF[alg];
  if (raw["kty"] !== kty || raw["crv"] !== crv) {
    throw new TesseraConfigError(`${at}: ${alg} needs a "kty": "${kty}", "crv": "${crv}" key`);
  }
  const publicJwk: PublicJwk = { kty, kid, alg, use: "sig", crv, x: member(raw, "x", at) };
  if (kty === "EC") publicJwk.y = member(raw, "y", at);
  // Only the listed public members go on: whatever else the input had (d, p, q, ...) stays out.
  const verifyJwk: Record<string, string> = { kty, crv, x: publicJwk.x };
  if (publicJwk.y !== undefined) verifyJwk["y"] = publicJwk.y;
  const signJwk = raw["d"] === undefined ? null : { ...verifyJwk, d: member(raw, "d", at) };
  return { kid, alg, verifyJwk, signJwk, publicJwk };
}

/** Reads a list of keys, refusing an empty list and duplicate key ids. */
export function readKeys(input: unknown, where: string): KeyEntry[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new TesseraConfigError(`${where} must be a non-empty array of JWKs`);
  }
  const entries = input.map((key, index) => readKey(key, `${where}[${index}]`));
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.kid)) throw new TesseraConfigError(`${where}: duplicate kid "${entry.kid}"`);
    seen.add(entry.kid);
  }
  return entries;
}

/** What jose signs and verifies with: a Web Crypto key, or the raw bytes of an HMAC secret. */
export type ImportedKey = CryptoKey | Uint8Array;

/**
 * Imports a JWK once and remembers the promise. A failure (material that is not a valid key)
 * surfaces as `TesseraConfigError` and is not cached, so a fixed configuration is retried.
 */
export function importOnce(jwk: Record<string, string>, alg: AccessTokenAlgorithm, what: string) {
  let pending: Promise<ImportedKey> | null = null;
  return (): Promise<ImportedKey> => {
    pending ??= (importJWK(jwk, alg) as Promise<ImportedKey>).catch((cause: unknown) => {
      pending = null;
      throw new TesseraConfigError(`${what} is not a valid ${alg} key`, { cause });
    });
    return pending;
  };
}
