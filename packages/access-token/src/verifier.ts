/**
 * The verifying side, for any service that receives access tokens. Every check that a JWT library
 * leaves optional is on here: algorithms pinned per key, no key material taken from the token,
 * `crit` refused, every claim required and checked, and a typed reason for each refusal.
 */
import { StoreUnavailableError, TesseraConfigError } from "@tessera/core";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  MAX_ID_CLAIM_LENGTH,
  type SessionLike,
} from "./claims.js";
import { isTesseraError } from "./errors.js";
import { checkAudience } from "./issuer.js";
import {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
  type AccessTokenJwk,
  type ImportedKey,
  importOnce,
  type KeyEntry,
  readKey,
  readKeys,
} from "./keys.js";

/** Why `verify` refused a token. */
export type VerifyFailureReason =
  /** Not a compact JWS with a JSON header and claims, or too long. */
  | "malformed"
  /** A header this verifier never trusts: `crit`, `jwk`, `jku`, `x5u`, `x5c`, `b64`, `zip`, or a `typ` other than `at+jwt`. */
  | "unsupported-header"
  /** `none`, an algorithm not allowed here, or not the one pinned to the key named by `kid`. */
  | "disallowed-algorithm"
  /** No `kid`, or no known key has it. */
  | "unknown-key"
  /** The signature does not match (tampered header, payload or signature; wrong key). */
  | "bad-signature"
  /** `exp` is past, beyond the clock tolerance. */
  | "expired"
  /** `iat` (or `nbf`) is in the future, beyond the clock tolerance. */
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  /** A required claim is missing or of the wrong type (`sub`, `sid`, `jti`, `iat`, `exp`). */
  | "invalid-claims"
  /** The session behind the token was revoked (only when a revocation check was asked for). */
  | "revoked";

/** Result of `verify`: the claims, or why the token was refused. */
export type VerifyResult =
  | { ok: true; claims: AccessTokenClaims; keyId: string }
  | { ok: false; reason: VerifyFailureReason };

/** Answers whether the session behind a token has been revoked. */
export type RevocationCheck = (
  sid: string,
  claims: AccessTokenClaims,
) => boolean | Promise<boolean>;

/** Options of `createVerifier`. Give exactly one of `jwks`, `jwksUrl` or `keys`. */
export interface VerifierOptions {
  /** A JWK Set of public keys, e.g. `tokens.jwks()` or a copy shipped with the service. */
  jwks?: { keys: ReadonlyArray<AccessTokenJwk | Record<string, unknown>> };
  /** Where the issuer serves its JWK Set. Fetched on first use, cached, refetched on an unknown `kid`. */
  jwksUrl?: string | URL;
  /** Keys as JWKs (objects or JSON text). The only way to verify HS256 (shared secret). */
  keys?: ReadonlyArray<AccessTokenJwk | string>;
  /** Expected `iss` (one or several accepted). */
  issuer: string | readonly string[];
  /** This service's audience: the token's `aud` must contain it (or one of them). */
  audience: string | readonly string[];
  /**
   * Seconds of clock skew allowed on `exp` and `iat`, at most 300.
   * @defaultValue `30`
   */
  clockTolerance?: number;
  /**
   * Narrows the accepted algorithms (a JWK Set never carries an HS256 secret).
   * @defaultValue those of the configured keys, or `["EdDSA", "ES256"]` with `jwks` / `jwksUrl`
   */
  algorithms?: readonly AccessTokenAlgorithm[];
  /** Consulted by `verify(token, { checkRevocation: true })`, e.g. `sessionRevocation(sessions)`. */
  isRevoked?: RevocationCheck;
  /**
   * With `jwksUrl`: seconds a fetched JWK Set is used before it is fetched again.
   * @defaultValue `600`
   */
  jwksMaxAge?: number;
  /**
   * With `jwksUrl`: seconds after a fetch before an unknown `kid` may trigger another.
   * @defaultValue `30`
   */
  jwksCooldown?: number;
  /**
   * With `jwksUrl`: milliseconds before a fetch counts as failed.
   * @defaultValue `5000`
   */
  jwksTimeout?: number;
  /**
   * With `jwksUrl`: accept an `http:` URL on a host other than loopback. Default `false`: the key
   * set decides which signatures are trusted, and over plain http anyone on the path can swap it.
   * Only for a private network you trust (e.g. a service mesh that encrypts for you).
   * @defaultValue `false`
   */
  allowInsecureJwksUrl?: boolean;
  /**
   * Clock in milliseconds.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** Per-call options of `verify`. */
export interface VerifyOptions {
  /**
   * Also ask `isRevoked(sid)` (one store read): for sensitive calls.
   * @defaultValue `false`
   */
  checkRevocation?: boolean;
}

/** The verifier returned by `createVerifier`. */
export interface Verifier {
  /**
   * Verifies a compact JWT. Resolves to `{ ok: true, claims }` or `{ ok: false, reason }`; rejects
   * with `StoreUnavailableError` only when the key set or the revocation check cannot be reached
   * (answer 503, never 401).
   */
  verify(token: unknown, options?: VerifyOptions): Promise<VerifyResult>;
  /** The algorithms this verifier accepts. */
  readonly algorithms: readonly AccessTokenAlgorithm[];
}

/** Header parameters that would let a token pick or carry its own key, or change how it is read. */
const UNTRUSTED_HEADERS = ["crit", "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip"];
const MAX_TOKEN_LENGTH = 8 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const DEFAULT_CLOCK_TOLERANCE = 30;
const MAX_CLOCK_TOLERANCE = 300;

type KeyLookup =
  | { found: true; key: ImportedKey; alg: AccessTokenAlgorithm }
  | { found: false; reason: "unknown-key" | "disallowed-algorithm" };

type KeyResolver = (header: { alg: string; kid: string }) => Promise<KeyLookup>;

function fail(reason: VerifyFailureReason): VerifyResult {
  return { ok: false, reason };
}

function isIdClaim(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ID_CLAIM_LENGTH;
}

function localResolver(entries: KeyEntry[]): KeyResolver {
  const byKid = new Map(
    entries.map((entry) => [
      entry.kid,
      {
        alg: entry.alg,
        load: importOnce(entry.verifyJwk, entry.alg, `verification key ${entry.kid}`),
      },
    ]),
  );
  return async ({ alg, kid }) => {
    const entry = byKid.get(kid);
    if (!entry) return { found: false, reason: "unknown-key" };
    // The key, not the token, decides the algorithm: this is what stops alg confusion.
    if (entry.alg !== alg) return { found: false, reason: "disallowed-algorithm" };
    return { found: true, key: await entry.load(), alg: entry.alg };
  };
}

function joseCode(error: unknown): string | undefined {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/**
 * Whether a URL's hostname is this machine: `localhost`, 127.0.0.0/8 or `[::1]` (as `URL`
 * normalises them). No name resolution happens: anything else counts as remote.
 */
function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function remoteResolver(url: URL, options: VerifierOptions): KeyResolver {
  const nonNegative = (value: number | undefined, fallback: number, name: string) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new TesseraConfigError(`${name} must be a non-negative number`);
    }
    return value;
  };
  const timeout = nonNegative(options.jwksTimeout, 5000, "jwksTimeout");
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: nonNegative(options.jwksMaxAge, 600, "jwksMaxAge") * 1000,
    cooldownDuration: nonNegative(options.jwksCooldown, 30, "jwksCooldown") * 1000,
    timeoutDuration: Math.round(timeout),
  });
  return async ({ alg, kid }) => {
    try {
      const key = (await remote({ alg, kid })) as ImportedKey;
      return { found: true, key, alg: alg as AccessTokenAlgorithm };
    } catch (error) {
      const code = joseCode(error);
      if (code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS") {
        return { found: false, reason: "unknown-key" };
      }
      // Anything else (network, timeout, non-200, not JSON, bad key set) is the key set being
      // unavailable: not the token's fault, so never an answer of "invalid".
      throw new StoreUnavailableError(
        `the JWK Set at ${url.origin}${url.pathname} is unavailable`,
        {
          cause: error,
        },
      );
    }
  };
}

function reasonOf(error: unknown): VerifyFailureReason | null {
  switch (joseCode(error)) {
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "bad-signature";
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "disallowed-algorithm";
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return "malformed";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      if (claim === "iss") return "wrong-issuer";
      if (claim === "aud") return "wrong-audience";
      if (claim === "typ") return "unsupported-header";
      if ((claim === "nbf" || claim === "iat") && reason === "check_failed") return "not-yet-valid";
      return "invalid-claims";
    }
    default:
      return null;
  }
}

function checkAlgorithms(
  requested: readonly AccessTokenAlgorithm[] | undefined,
  available: readonly AccessTokenAlgorithm[],
): AccessTokenAlgorithm[] {
  if (requested === undefined) return [...new Set(available)];
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new TesseraConfigError("algorithms must be a non-empty array");
  }
  for (const alg of requested) {
    if (!ACCESS_TOKEN_ALGORITHMS.includes(alg)) {
      throw new TesseraConfigError(`algorithms: "${String(alg)}" is not EdDSA, ES256 or HS256`);
    }
    if (!available.includes(alg)) {
      throw new TesseraConfigError(`algorithms: "${alg}" has no key here to verify it with`);
    }
  }
  return [...new Set(requested)];
}

/**
 * Creates a verifier for another service. Throws `TesseraConfigError` for invalid options: not
 * exactly one key source, a JWK Set holding a secret or private key, an algorithm without a key.
 *
 * ```ts
 * const verifier = createVerifier({ jwksUrl: "https://auth.example.com/.well-known/jwks.json",
 *   issuer: "https://auth.example.com", audience: "api" });
 * const result = await verifier.verify(bearerToken);
 * if (!result.ok) return new Response(null, { status: 401 });
 * ```
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   jwksUrl: "https://auth.example.com/.well-known/jwks.json",
 *   issuer: "https://auth.example.com",
 *   audience: "orders-api",
 * });
 * const result = await verifier.verify(bearerToken);
 * if (!result.ok) return new Response(null, { status: 401 }); // result.reason says why
 * ```
 * @throws TesseraConfigError for not exactly one of `jwks`, `jwksUrl` and `keys`, a missing issuer or
 * audience, an unusable key, or tuning values out of range.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError(
      "createVerifier needs { jwks | jwksUrl | keys, issuer, audience }",
    );
  }
  const sources = [options.jwks, options.jwksUrl, options.keys].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    throw new TesseraConfigError("createVerifier needs exactly one of jwks, jwksUrl or keys");
  }
  const issuer = checkAudience(options.issuer, "issuer");
  const audience = checkAudience(options.audience, "audience");
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  if (
    typeof clockTolerance !== "number" ||
    !Number.isFinite(clockTolerance) ||
    clockTolerance < 0 ||
    clockTolerance > MAX_CLOCK_TOLERANCE
  ) {
    throw new TesseraConfigError(`clockTolerance must be 0 to ${MAX_CLOCK_TOLERANCE} seconds`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new TesseraConfigError("now must be a function");
  const isRevoked = options.isRevoked;
  if (isRevoked !== undefined && typeof isRevoked !== "function") {
    throw new TesseraConfigError("isRevoked must be a function (sid, claims) => boolean");
  }

  let resolve: KeyResolver;
  let available: AccessTokenAlgorithm[];
  if (options.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.jwksUrl);
    } catch (cause) {
      throw new TesseraConfigError("jwksUrl is not a URL", { cause });
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TesseraConfigError("jwksUrl must be an https: URL");
    }
    if (
      options.allowInsecureJwksUrl !== undefined &&
      typeof options.allowInsecureJwksUrl !== "boolean"
    ) {
      throw new TesseraConfigError("allowInsecureJwksUrl must be a boolean");
    }
    if (url.protocol === "http:" && !isLoopback(url.hostname) && !options.allowInsecureJwksUrl) {
      throw new TesseraConfigError(
        `jwksUrl must be https: ${url.origin} would let anyone on the network path replace the keys that decide which tokens are valid (http: is accepted on loopback, or with allowInsecureJwksUrl: true)`,
      );
    }
    resolve = remoteResolver(url, options);
    available = ["EdDSA", "ES256"];
  } else {
    let entries: KeyEntry[];
    if (options.keys !== undefined) {
      entries = readKeys(options.keys, "keys");
    } else {
      const set = options.jwks;
      if (!set || typeof set !== "object" || !Array.isArray(set.keys) || set.keys.length === 0) {
        throw new TesseraConfigError(
          "jwks must be a JWK Set { keys: [...] } with at least one key",
        );
      }
      entries = set.keys.map((key, index) => {
        const entry = readKey(key, `jwks.keys[${index}]`);
        // A JWK Set is public by definition: a secret or private key in it is a leak upstream.
        if (!entry.publicJwk || entry.signJwk) {
          throw new TesseraConfigError(`jwks.keys[${index}] must be a public key`);
        }
        return entry;
      });
      if (new Set(entries.map((entry) => entry.kid)).size !== entries.length) {
        throw new TesseraConfigError("jwks: duplicate kid");
      }
    }
    resolve = localResolver(entries);
    available = entries.map((entry) => entry.alg);
  }
  const algorithms = checkAlgorithms(options.algorithms, available);

  async function verify(token: unknown, verifyOptions?: VerifyOptions): Promise<VerifyResult> {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      return fail("malformed");
    }
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      return fail("malformed");
    }
    for (const name of UNTRUSTED_HEADERS) {
      if (Object.hasOwn(header, name)) return fail("unsupported-header");
    }
    const typ = header["typ"];
    if (typeof typ !== "string" || typ.toLowerCase().replace(/^application\//, "") !== "at+jwt") {
      return fail("unsupported-header");
    }
    const alg = header["alg"];
    if (typeof alg !== "string" || !algorithms.includes(alg as AccessTokenAlgorithm)) {
      return fail("disallowed-algorithm");
    }
    const kid = header["kid"];
    if (typeof kid !== "string" || kid.length === 0) return fail("unknown-key");
    const lookup = await resolve({ alg, kid });
    if (!lookup.found) return fail(lookup.reason);

    const at = now();
    let claims: AccessTokenClaims;
    try {
      const verified = await jwtVerify(token, lookup.key, {
        algorithms: [lookup.alg],
        issuer,
        audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance,
        currentDate: new Date(at),
        requiredClaims: ["sub", "sid", "jti", "iat", "exp"],
      });
      claims = verified.payload as AccessTokenClaims;
    } catch (error) {
      const reason = reasonOf(error);
      if (reason === null) throw error;
      return fail(reason);
    }
    if (!isIdClaim(claims.sub) || !isIdClaim(claims.sid) || !isIdClaim(claims.jti)) {
      return fail("invalid-claims");
    }
    if (!Number.isFinite(claims.iat) || !Number.isFinite(claims.exp) || claims.exp <= claims.iat) {
      return fail("invalid-claims");
    }
    // jose checks `iat` only when a maximum age is set; a token from the future is refused here.
    if (claims.iat > Math.floor(at / 1000) + clockTolerance) return fail("not-yet-valid");

    if (verifyOptions?.checkRevocation) {
      if (!isRevoked) {
        throw new TesseraConfigError("checkRevocation needs createVerifier({ isRevoked })");
      }
      let revoked: boolean;
      try {
        revoked = await isRevoked(claims.sid, claims);
      } catch (cause) {
        if (isTesseraError(cause)) throw cause;
        throw new StoreUnavailableError("the revocation check failed", { cause });
      }
      // Anything but an explicit `false` counts as revoked: a broken hook must fail closed.
      if (revoked !== false) return fail("revoked");
    }
    return { ok: true, claims, keyId: kid };
  }

  return { verify, algorithms };
}

/**
 * A revocation check backed by the session store: a token is revoked when its session is gone
 * (revoked, logged out, expired) or belongs to another user. One `sessions.find` per call.
 *
 * ```ts
 * createVerifier({ jwks, issuer, audience, isRevoked: sessionRevocation(sessions) });
 * ```
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ ...options, isRevoked: sessionRevocation(sessions) });
 * await verifier.verify(token, { checkRevocation: true }); // one sessions.find(sid)
 * ```
 */
export function sessionRevocation(sessions: {
  find(sessionId: string): Promise<SessionLike | null>;
}): RevocationCheck {
  if (!sessions || typeof sessions.find !== "function") {
    throw new TesseraConfigError("sessionRevocation needs a sessions object with find(sid)");
  }
  return async (sid, claims) => {
    const session = await sessions.find(sid);
    return session === null || session.userId !== claims.sub;
  };
}
