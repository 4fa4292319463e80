/**
 * The HTTP side, framework-free: the token endpoint (a valid session in, an access token out), the
 * JWK Set endpoint, and the bearer guard of a downstream service. Each step computes a plain answer
 * (status, headers, body); the Web, Express and Hono entries only read the request and write it.
 */
import { type Session, type Sessions, TesseraConfigError } from "@tessera/core";
import {
  addressKey,
  checkCounter,
  checkRateLimit,
  createGate,
  type HttpAnswer as GateAnswer,
  type GateOptions,
  isSessions,
  type LimitCounter,
  type RateLimit,
  type RequestFacts,
  type RequestSession,
  type ResponseEffects,
  serializeCookie,
  takeLimits,
  tooManyRequestsAnswer,
} from "@tessera/core/http";
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

/**
 * Options of the token endpoint (`tokenEndpoint` in every entry). The endpoint runs behind
 * Tessera's request gate (`@tessera/core/http`): the same CSRF rule, the same token reading
 * (every session cookie, then the bearer header), the same refusals and device binding as every
 * other route. When a Tessera integration (`@tessera/express`, `@tessera/hono`) already checked
 * the request for the same sessions, its state is used; otherwise the endpoint opens its own
 * gate with these options, which carry the same names as the integrations'.
 */
export interface TokenEndpointOptions
  extends Pick<
    GateOptions,
    "allowedOrigins" | "trustedProxies" | "dbsc" | "onRefusal" | "onSignal"
  > {
  /** The session manager of `@tessera/core`. */
  sessions: Sessions;
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
   * Rate limits, answered 429 `{ error: "too-many-requests" }` with `Retry-After` (the gate's
   * answer), or `false` to turn them off (e.g. when a proxy in front already limits).
   * @defaultValue 30 a minute per session, 120 a minute per address, counted in memory
   */
  limits?: TokenEndpointLimits | false;
}

/**
 * The token endpoint's rate limits. A browser asks for an access token about once per token
 * lifetime (5 minutes by default) per tab; 30 a minute per session leaves room for many tabs and
 * retries while keeping a stolen session from minting tokens in bulk, and 120 a minute per
 * address leaves room for a few dozen users behind one NAT.
 */
export interface TokenEndpointLimits {
  /** Requests per session. @defaultValue `{ max: 30, windowSeconds: 60 }` */
  perSession?: RateLimit | false;
  /**
   * Requests per client address (IPv6 by /64), counted before the session is checked.
   * @defaultValue `{ max: 120, windowSeconds: 60 }`
   */
  perAddress?: RateLimit | false;
  /**
   * Where counts live: this process's memory by default; `RedisLimitCounter` of
   * `@tessera/redis` to share them across servers.
   * @defaultValue `createMemoryCounter()`
   */
  counter?: LimitCounter;
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

/** The token endpoint of one application: its gate, and the answer for a checked request. */
export interface TokenExchange {
  /**
   * The request's session state: `mounted` when a Tessera integration already checked this
   * request for the same sessions (its middleware then writes the cookies), else a check by the
   * endpoint's own gate (whose cookies the answer carries).
   */
  open(facts: RequestFacts, mounted?: RequestSession | null): Promise<RequestSession>;
  /** The answer for a checked request (`method` as sent). */
  answer(state: RequestSession, method: string): Promise<HttpAnswer>;
}

/**
 * Builds the token endpoint shared by every entry. Throws `TesseraConfigError` for options that
 * are not `{ sessions, tokens }` from `createSessions` and `createAccessTokens`, or gate options
 * the gate refuses.
 */
export function createTokenExchange(options: TokenEndpointOptions): TokenExchange {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("tokenEndpoint needs { sessions, tokens }");
  }
  const { sessions, tokens, claims } = options;
  if (!isSessions(sessions)) {
    throw new TesseraConfigError("tokenEndpoint: sessions must come from createSessions");
  }
  if (!tokens || typeof tokens.issueWithExpiry !== "function") {
    throw new TesseraConfigError("tokenEndpoint: tokens must come from createAccessTokens");
  }
  if (claims !== undefined && typeof claims !== "function") {
    throw new TesseraConfigError("tokenEndpoint: claims must be a function of the session");
  }
  const limits = resolveLimits(options.limits);
  const gate = createGate(sessions, {
    ...(options.allowedOrigins !== undefined ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.trustedProxies !== undefined ? { trustedProxies: options.trustedProxies } : {}),
    ...(options.dbsc !== undefined ? { dbsc: options.dbsc } : {}),
    ...(options.onRefusal !== undefined ? { onRefusal: options.onRefusal } : {}),
    ...(options.onSignal !== undefined ? { onSignal: options.onSignal } : {}),
  });
  /** Reports a 429 to `onRefusal`, like the gate's own refusals; an observer never changes it. */
  const report = (refusal: GateAnswer): GateAnswer => {
    try {
      options.onRefusal?.(refusal);
    } catch {
      // Metrics never change an answer.
    }
    return refusal;
  };
  /** States the endpoint's own gate opened: their cookies go out with the answer. */
  const own = new WeakSet<RequestSession>();

  return {
    async open(facts, mounted) {
      if (mounted && mounted.sessions === sessions) return mounted;
      const state = await gate.open(facts);
      own.add(state);
      return state;
    },

    async answer(state, method) {
      const effects = own.has(state) ? state.effects() : null;
      if (state.refusal) return withEffects(fromGate(state.refusal), effects);
      if (method.toUpperCase() !== "POST") {
        return withEffects(
          answer(405, { error: "method_not_allowed" }, [["Allow", "POST"]]),
          effects,
        );
      }
      let issued: Awaited<ReturnType<AccessTokens["issueWithExpiry"]>>;
      try {
        const address = limits?.perAddress ? addressKey(state.client.ip) : null;
        if (limits?.perAddress && address !== null) {
          const wait = await takeLimits(limits.counter, [
            [`token:addr:${address}`, limits.perAddress],
          ]);
          if (wait !== null)
            return withEffects(fromGate(report(tooManyRequestsAnswer(wait))), effects);
        }
        const denied = state.require("session");
        if (denied) return withEffects(fromGate(denied), effects);
        // require("session") answered null: the request has a session.
        const session = state.session as Session;
        if (limits?.perSession) {
          const wait = await takeLimits(limits.counter, [
            [`token:sid:${session.id}`, limits.perSession],
          ]);
          if (wait !== null)
            return withEffects(fromGate(report(tooManyRequestsAnswer(wait))), effects);
        }
        const extra = claims ? await claims(session) : undefined;
        issued = await tokens.issueWithExpiry(session, extra);
      } catch (error) {
        const refusal = state.answerForError(error);
        if (refusal) return withEffects(fromGate(refusal), effects);
        throw error;
      }
      const body = {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expiresIn,
      };
      return withEffects(answer(200, body), effects);
    },
  };
}

/** The token endpoint's limits with defaults applied, or `null` when turned off. */
function resolveLimits(limits: TokenEndpointLimits | false | undefined) {
  if (limits === false) return null;
  if (limits !== undefined && (typeof limits !== "object" || limits === null)) {
    throw new TesseraConfigError("tokenEndpoint: limits must be an object or false");
  }
  return {
    perSession: checkRateLimit(
      "limits.perSession",
      limits?.perSession ?? { max: 30, windowSeconds: 60 },
    ),
    perAddress: checkRateLimit(
      "limits.perAddress",
      limits?.perAddress ?? { max: 120, windowSeconds: 60 },
    ),
    counter: checkCounter(limits?.counter),
  };
}

/** A gate answer (401, 403, 429, 503) in this module's header-list form. */
function fromGate(refusal: GateAnswer): HttpAnswer {
  const headers: Array<[string, string]> = [];
  for (const name in refusal.headers) headers.push([name, refusal.headers[name]!]);
  return { status: refusal.status, headers, body: refusal.body };
}

/** Adds the gate's cookies and headers (`cache-control`, `tessera-token`) to an answer. */
function withEffects(base: HttpAnswer, effects: ResponseEffects | null): HttpAnswer {
  if (!effects) return base;
  const replaced = new Set(Object.keys(effects.headers));
  const headers = base.headers.filter(([name]) => !replaced.has(name.toLowerCase()));
  for (const name in effects.headers) headers.push([name, effects.headers[name]!]);
  for (const cookie of effects.cookies) headers.push(["Set-Cookie", serializeCookie(cookie)]);
  return { ...base, headers };
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
