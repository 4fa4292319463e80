/** The claims of an access token and the rules both sides share. */

/**
 * The `typ` header of every access token (RFC 9068 §2.1). A verifier refuses any other type, so an
 * ID token or another JWT signed by the same key can never pass as an access token.
 */
export const ACCESS_TOKEN_TYPE = "at+jwt";

/**
 * Claims the issuer sets itself. `extraClaims` may not name them: a caller-supplied `sub`, `exp`
 * or `aud` would let application data widen what the token grants.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  "iss",
  "sub",
  "aud",
  "exp",
  "nbf",
  "iat",
  "jti",
  "sid",
  "kid",
  "typ",
  "alg",
  "cnf",
]);

/** The claims of a verified access token. Extra claims given to `issue` come along untyped. */
export interface AccessTokenClaims {
  /** The user id (`session.userId`). */
  sub: string;
  /** The session id (`session.id`): what a revocation check looks up. */
  sid: string;
  iss: string;
  aud: string | string[];
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
  /** Unique token id. */
  jti: string;
  [claim: string]: unknown;
}

/** The smallest view of a session an access token is derived from (a core `Session` fits). */
export interface SessionLike {
  id: string;
  userId: string;
  /** The session's own expiry: a token never outlives it. */
  expiresAt?: Date | number;
}

/** Longest `sub`, `sid` or `jti` accepted on either side. */
export const MAX_ID_CLAIM_LENGTH = 256;

/** Largest JSON of `extraClaims`: tokens travel in headers, so they are kept small. */
export const MAX_EXTRA_CLAIMS_BYTES = 1024;
