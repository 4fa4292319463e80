/**
 * The HTTP side, framework-free: the token endpoint (a valid session in, an access token out), the
 * JWK Set endpoint, and the bearer guard of a downstream service. Each step computes a plain answer
 * (status, headers, body); the Web, Express and Hono entries only read the request and write it.
 */
import { type ClientInfo, type Session, type Sessions, TesseraConfigError } from "@tessera/core";
import type { AccessTokenClaims } from "./claims.js";
import { isTesseraError } from "./errors.js";
import type { AccessTokens } from "./issuer.js";
import type { Verifier } from "./verifier.js";

/** A response to write: status, headers (in order, `Set-Cookie` included) and a JSON body. */
export interface HttpAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** Options of the token endpoint (`tokenEndpoint` in every entry). */
export interface TokenEndpointOptions {
  /** The session manager of `@tessera/core`. */
  sessions: Pick<Sessions, "tokenFrom" | "validate" | "cookie">;
  /** The issuer of `createAccessTokens`. */
  tokens: AccessTokens;
  /**
   * Extra claims for the token, derived from the session (e.g. `{ role: session.data.role }`).
   * @defaultValue none
   */
  claims?: (
    session: Session,
  ) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
  /**
   * Origins (`https://app.example.com`) allowed to call the endpoint cross-site with the session
   * cookie. Same-origin calls and bearer calls need no entry.
   * @defaultValue `[]`
   */
  allowedOrigins?: readonly string[];
}

/** Options of the bearer guard (`accessTokenGuard`, `requireAccessToken`). */
export interface AccessTokenGuardOptions {
  /**
   * Also check the session is not revoked (`isRevoked`, one store read): for sensitive routes.
   * @defaultValue `false`
   */
  checkRevocation?: boolean;
  /**
   * `realm` of the `WWW-Authenticate` challenge.
   * @defaultValue none (no `realm` parameter)
   */
  realm?: string;
}

/** What the guard decided: the verified claims, or the answer to send instead. */
export type GuardOutcome =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; answer: HttpAnswer };

/** What the token endpoint needs to know about a request, whatever the framework. */
export interface TokenRequest {
  method: string;
  /** A request header by lower-case name. */
  header(name: string): string | null | undefined;
  /** The `Host` the request was sent to, for the same-origin check. */
  host: string | null | undefined;
  /** The client, as given to `sessions.create` at login (IP, user agent, device). */
  client: ClientInfo;
}

const JSON_TYPE = "application/json";
const NO_STORE: Array<[string, string]> = [
  ["Cache-Control", "no-store"],
  ["Pragma", "no-cache"],
];
const MAX_AUTHORIZATION_LENGTH = 8 * 1024 + 16;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function answer(status: number, body: unknown, headers: Array<[string, string]> = []): HttpAnswer {
  return {
    status,
    headers: [["Content-Type", JSON_TYPE], ...NO_STORE, ...headers],
    body: JSON.stringify(body),
  };
}

/** Checks the options shared by every entry's `tokenEndpoint`. */
export function checkTokenEndpointOptions(options: TokenEndpointOptions): void {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("tokenEndpoint needs { sessions, tokens }");
  }
  const { sessions, tokens, claims, allowedOrigins } = options;
  if (!sessions || typeof sessions.validate !== "function" || !sessions.cookie) {
    throw new TesseraConfigError("tokenEndpoint: sessions must come from createSessions");
  }
  if (!tokens || typeof tokens.issueWithExpiry !== "function") {
    throw new TesseraConfigError("tokenEndpoint: tokens must come from createAccessTokens");
  }
  if (claims !== undefined && typeof claims !== "function") {
    throw new TesseraConfigError("tokenEndpoint: claims must be a function of the session");
  }
  if (allowedOrigins !== undefined) {
    if (!Array.isArray(allowedOrigins)) {
      throw new TesseraConfigError("tokenEndpoint: allowedOrigins must be an array of origins");
    }
    for (const origin of allowedOrigins) {
      let parsed: URL | null = null;
      try {
        parsed = new URL(origin);
      } catch {}
      if (!parsed || parsed.origin !== origin) {
        throw new TesseraConfigError(`tokenEndpoint: "${origin}" is not an origin (scheme://host)`);
      }
    }
  }
}

/**
 * True when a browser sent this request from another site. `Sec-Fetch-Site` decides when present
 * (every current browser sends it); otherwise `Origin` must name the host the request went to.
 * A request with neither header is not from a browser page and passes.
 */
function isCrossSite(request: TokenRequest, allowedOrigins: readonly string[]): boolean {
  const origin = request.header("origin");
  if (origin && allowedOrigins.includes(origin)) return false;
  const site = request.header("sec-fetch-site");
  if (site) return site !== "same-origin" && site !== "none";
  if (!origin) return false;
  try {
    return origin === "null" || new URL(origin).host !== request.host;
  } catch {
    return true;
  }
}

/**
 * Trades the session on a request (cookie or bearer, via `sessions.tokenFrom` and
 * `sessions.validate`) for an access token. Answers 200 `{ access_token, token_type, expires_in }`
 * with the rotated session cookie when there is one (or `session_token` in the body for a bearer
 * session), 401 without a valid session, 403 for a cross-site cookie request, 405 for anything but
 * POST, and 503 when the session store is unavailable.
 */
export async function answerTokenRequest(
  options: TokenEndpointOptions,
  request: TokenRequest,
): Promise<HttpAnswer> {
  const { sessions, tokens } = options;
  if (request.method.toUpperCase() !== "POST") {
    return answer(405, { error: "method_not_allowed" }, [["Allow", "POST"]]);
  }
  const found = sessions.tokenFrom({
    cookie: request.header("cookie"),
    authorization: request.header("authorization"),
  });
  if (!found) return answer(401, { error: "session_required" });
  const fromCookie = found.source === "cookie";
  // The response body carries a credential: a page of another site must not trigger it with the
  // user's cookie (it could not read the body, but it must not even rotate the session).
  if (fromCookie && isCrossSite(request, options.allowedOrigins ?? [])) {
    return answer(403, { error: "cross_site_request" });
  }
  let result: Awaited<ReturnType<Sessions["validate"]>>;
  try {
    result = await sessions.validate(found.token, request.client);
  } catch (error) {
    if (isTesseraError(error, "store-unavailable")) {
      return answer(503, { error: "temporarily_unavailable" });
    }
    throw error;
  }
  if (!result.ok) {
    const clear: Array<[string, string]> = fromCookie
      ? [["Set-Cookie", sessions.cookie.blank()]]
      : [];
    return answer(401, { error: "invalid_session" }, clear);
  }
  const { session } = result;
  const extra = options.claims ? await options.claims(session) : undefined;
  const issued = await tokens.issueWithExpiry(session, extra);
  const body: Record<string, unknown> = {
    access_token: issued.token,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
  };
  const headers: Array<[string, string]> = [];
  if (result.token !== null) {
    // The session rotated (or its expiry moved): the client must get the new session token.
    if (fromCookie) {
      headers.push(["Set-Cookie", sessions.cookie.serialize(result.token, session.expiresAt)]);
    } else {
      body["session_token"] = result.token;
    }
  }
  return answer(200, body, headers);
}

/** The JWK Set answer: public keys only, cacheable for `maxAge` seconds. */
export function answerJwksRequest(
  tokens: AccessTokens,
  method: string,
  maxAge: number,
): HttpAnswer {
  const upper = method.toUpperCase();
  if (upper !== "GET" && upper !== "HEAD") {
    return answer(405, { error: "method_not_allowed" }, [["Allow", "GET, HEAD"]]);
  }
  return {
    status: 200,
    headers: [
      ["Content-Type", "application/jwk-set+json"],
      ["Cache-Control", `public, max-age=${maxAge}`],
    ],
    body: JSON.stringify(tokens.jwks()),
  };
}

/** Checks the `maxAge` option of a JWK Set endpoint (seconds; default 300). */
export function checkJwksEndpoint(tokens: AccessTokens, maxAge: number | undefined): number {
  if (!tokens || typeof tokens.jwks !== "function") {
    throw new TesseraConfigError("jwksEndpoint needs the issuer of createAccessTokens");
  }
  const value = maxAge ?? 300;
  if (!Number.isInteger(value) || value < 0) {
    throw new TesseraConfigError("jwksEndpoint: maxAge must be a whole number of seconds >= 0");
  }
  return value;
}

/** The token of an `Authorization: Bearer` header, or `null` (oversized headers are ignored). */
export function bearerToken(authorization: string | null | undefined): string | null {
  if (typeof authorization !== "string" || authorization.length > MAX_AUTHORIZATION_LENGTH) {
    return null;
  }
  const match = BEARER.exec(authorization);
  return match ? match[1]! : null;
}

function challenge(realm: string | undefined, error?: string, description?: string): string {
  const params: string[] = [];
  if (realm !== undefined) params.push(`realm="${realm}"`);
  if (error !== undefined) params.push(`error="${error}"`);
  if (description !== undefined) params.push(`error_description="${description}"`);
  return params.length > 0 ? `Bearer ${params.join(", ")}` : "Bearer";
}

/** Checks the guard options shared by every entry. */
export function checkGuardOptions(verifier: Verifier, options: AccessTokenGuardOptions): void {
  if (!verifier || typeof verifier.verify !== "function") {
    throw new TesseraConfigError("the access-token guard needs a verifier from createVerifier");
  }
  // Printable ASCII without quote or backslash: the realm goes inside a quoted header parameter.
  if (options.realm !== undefined && !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(options.realm)) {
    throw new TesseraConfigError("realm must be printable ASCII without quotes or backslashes");
  }
}

/**
 * Verifies the bearer access token of a request. 401 with a `WWW-Authenticate: Bearer`
 * challenge (RFC 6750) when it is missing or refused, 503 when the key set or the revocation
 * check is unavailable.
 */
export async function guardRequest(
  verifier: Verifier,
  authorization: string | null | undefined,
  options: AccessTokenGuardOptions,
): Promise<GuardOutcome> {
  const token = bearerToken(authorization);
  if (token === null) {
    return {
      ok: false,
      answer: answer(401, { error: "token_required" }, [
        ["WWW-Authenticate", challenge(options.realm)],
      ]),
    };
  }
  try {
    const result = await verifier.verify(token, { checkRevocation: options.checkRevocation });
    if (result.ok) return { ok: true, claims: result.claims };
    return {
      ok: false,
      answer: answer(401, { error: "invalid_token", reason: result.reason }, [
        ["WWW-Authenticate", challenge(options.realm, "invalid_token", result.reason)],
      ]),
    };
  } catch (error) {
    if (isTesseraError(error, "store-unavailable")) {
      return { ok: false, answer: answer(503, { error: "temporarily_unavailable" }) };
    }
    throw error;
  }
}
