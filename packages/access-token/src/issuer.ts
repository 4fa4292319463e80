/**
 * The issuing side: signs short-lived access tokens for a live session and publishes the public
 * keys. The first configured key signs; the others are kept for verification during a rotation.
 */
import { InvalidArgumentError, TesseraConfigError } from "@tessera/core";
import { base64url, SignJWT } from "jose";
import {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  MAX_EXTRA_CLAIMS_BYTES,
  MAX_ID_CLAIM_LENGTH,
  RESERVED_CLAIMS,
  type SessionLike,
} from "./claims.js";
import {
  type AccessTokenAlgorithm,
  type AccessTokenJwk,
  type ImportedKey,
  importOnce,
  type JsonWebKeySet,
  type KeyEntry,
  readKeys,
} from "./keys.js";

/** Options of `createAccessTokens`. */
export interface AccessTokensOptions {
  /**
   * Keys as JWKs (objects or JSON text), first one signing. The first must hold private material
   * (`d`, or `k` for HS256); the others may be public only. See the README's rotation procedure.
   */
  keys: ReadonlyArray<AccessTokenJwk | string>;
  /** The `iss` claim, e.g. `https://auth.example.com`. */
  issuer: string;
  /** The `aud` claim: the service(s) the tokens are for. */
  audience: string | readonly string[];
  /**
   * Lifetime in seconds, at most 86400 (a day); never past the session's own `expiresAt`.
   * @defaultValue `300` (5 minutes)
   */
  ttl?: number;
  /**
   * Clock in milliseconds.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** A token together with when it expires, for a token response (`expires_in`). */
export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresAt: Date;
  /** Seconds from now until `expiresAt`. */
  expiresIn: number;
}

/** The issuer returned by `createAccessTokens`. */
export interface AccessTokens {
  /** Signs an access token for a live session; `extraClaims` may not name reserved claims. */
  issue(session: SessionLike, extraClaims?: Record<string, unknown>): Promise<string>;
  /** Like `issue`, also returning the claims and expiry (token endpoints, logs). */
  issueWithExpiry(
    session: SessionLike,
    extraClaims?: Record<string, unknown>,
  ): Promise<IssuedAccessToken>;
  /** The public JWK Set of every asymmetric key, signing and verify-only. Never secrets. */
  jwks(): JsonWebKeySet;
  /** The `kid` of the signing key. */
  readonly signingKeyId: string;
  /** The algorithm of the signing key. */
  readonly algorithm: AccessTokenAlgorithm;
  /** The `iss` claim written into tokens. */
  readonly issuer: string;
  /** The `aud` claim written into tokens. */
  readonly audience: string | readonly string[];
  /** Token lifetime in seconds. */
  readonly ttl: number;
}

const DEFAULT_TTL = 300;
const MAX_TTL = 24 * 60 * 60;

function checkName(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 512) {
    throw new TesseraConfigError(`${name} must be a non-empty string of at most 512 characters`);
  }
  return value;
}

/** Checks an `audience` option: one string or a non-empty list of strings. */
export function checkAudience(value: unknown, name: string): string | string[] {
  if (typeof value === "string") return checkName(value, name);
  if (!Array.isArray(value) || value.length === 0) {
    throw new TesseraConfigError(`${name} must be a string or a non-empty array of strings`);
  }
  return value.map((entry, index) => checkName(entry, `${name}[${index}]`));
}

function idClaim(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_CLAIM_LENGTH) {
    throw new InvalidArgumentError(
      `${name} must be a non-empty string of at most ${MAX_ID_CLAIM_LENGTH} characters`,
    );
  }
  return value;
}

function checkExtraClaims(extra: unknown): Record<string, unknown> {
  if (extra === undefined) return {};
  if (extra === null || typeof extra !== "object" || Array.isArray(extra)) {
    throw new InvalidArgumentError("extraClaims must be a plain JSON object");
  }
  for (const name of Object.keys(extra)) {
    if (RESERVED_CLAIMS.has(name)) {
      throw new InvalidArgumentError(`extraClaims may not set the reserved claim "${name}"`);
    }
  }
  let json: string;
  try {
    json = JSON.stringify(extra);
  } catch (cause) {
    throw new InvalidArgumentError("extraClaims must be JSON-serialisable", { cause });
  }
  if (new TextEncoder().encode(json).length > MAX_EXTRA_CLAIMS_BYTES) {
    throw new InvalidArgumentError(
      `extraClaims take more than ${MAX_EXTRA_CLAIMS_BYTES} bytes of JSON: keep access tokens small`,
    );
  }
  return JSON.parse(json) as Record<string, unknown>;
}

function newTokenId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return base64url.encode(bytes);
}

/**
 * Creates the issuer. Throws `TesseraConfigError` for invalid options: no keys, a first key
 * without private material, duplicate key ids, a bad `ttl`, an empty issuer or audience.
 * Key material itself is imported on the first `issue`.
 *
 * ```ts
 * const tokens = createAccessTokens({ keys: [key], issuer: "https://auth.example.com", audience: "api" });
 * const jwt = await tokens.issue(session, { role: "admin" });
 * ```
 *
 * @example
 * ```ts
 * const tokens = createAccessTokens({
 *   keys: [JSON.parse(process.env.ACCESS_TOKEN_KEY!)], // from generateSigningKey(), kept secret
 *   issuer: "https://auth.example.com",
 *   audience: "orders-api",
 *   ttl: 300,
 * });
 * const accessToken = await tokens.issue(session, { role: session.data.role });
 * ```
 * @throws TesseraConfigError for no keys, a first key without its private part, a missing issuer or
 * audience, or a `ttl` outside 1 to 86400 seconds.
 */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("createAccessTokens needs { keys, issuer, audience }");
  }
  const keys: KeyEntry[] = readKeys(options.keys, "keys");
  const signing = keys[0]!;
  if (!signing.signJwk) {
    throw new TesseraConfigError(
      `keys[0] (kid ${signing.kid}) signs, so it needs its private part ("d")`,
    );
  }
  const issuer = checkName(options.issuer, "issuer");
  const audience = checkAudience(options.audience, "audience");
  const ttl = options.ttl ?? DEFAULT_TTL;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) {
    throw new TesseraConfigError(`ttl must be a whole number of seconds from 1 to ${MAX_TTL}`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new TesseraConfigError("now must be a function");
  const signingKey: () => Promise<ImportedKey> = importOnce(
    signing.signJwk,
    signing.alg,
    `keys[0] (kid ${signing.kid})`,
  );
  const header = { alg: signing.alg, kid: signing.kid, typ: ACCESS_TOKEN_TYPE };
  const publicKeys = keys.flatMap((entry) => (entry.publicJwk ? [entry.publicJwk] : []));

  async function sign(
    session: SessionLike,
    extraClaims: Record<string, unknown> | undefined,
  ): Promise<IssuedAccessToken> {
    if (!session || typeof session !== "object") {
      throw new InvalidArgumentError("issue needs a session { id, userId }");
    }
    const sid = idClaim(session.id, "session.id");
    const sub = idClaim(session.userId, "session.userId");
    const extra = checkExtraClaims(extraClaims);
    const at = now();
    const iat = Math.floor(at / 1000);
    let exp = iat + ttl;
    if (session.expiresAt !== undefined) {
      const sessionEnd =
        session.expiresAt instanceof Date ? session.expiresAt.getTime() : session.expiresAt;
      if (typeof sessionEnd !== "number" || Number.isNaN(sessionEnd)) {
        throw new InvalidArgumentError("session.expiresAt must be a Date or a number of ms");
      }
      // A token never outlives its session: revocation aside, it ends when the session would.
      exp = Math.min(exp, Math.floor(sessionEnd / 1000));
      if (exp <= iat) throw new InvalidArgumentError("the session has expired");
    }
    const claims: AccessTokenClaims = {
      ...extra,
      iss: issuer,
      sub,
      aud: audience,
      iat,
      exp,
      jti: newTokenId(),
      sid,
    };
    const token = await new SignJWT(claims).setProtectedHeader(header).sign(await signingKey());
    return { token, claims, expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
  }

  return {
    signingKeyId: signing.kid,
    algorithm: signing.alg,
    issuer,
    audience,
    ttl,
    async issue(session, extraClaims) {
      return (await sign(session, extraClaims)).token;
    },
    issueWithExpiry: sign,
    jwks() {
      return { keys: publicKeys.map((key) => ({ ...key })) };
    },
  };
}
