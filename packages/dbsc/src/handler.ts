/**
 * `createDbsc`: the server side of Device Bound Session Credentials (W3C WebAppSec DBSC editor's
 * draft, revision d34681127abcef5fad67a1fd99cd0849f7b9b4b0), as the handler the request gate of
 * every Tessera integration takes (`tessera(sessions, { dbsc })`). It offers registration on
 * login, serves the registration and refresh routes, and names the short-lived bound cookie the
 * gate requires on every request of a device-bound session.
 */
import type { ClientInfo, Session, Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import {
  addressKey,
  type CookieAttributes,
  type CookieValue,
  checkCounter,
  checkRateLimit,
  type DbscHandler,
  type DbscOutcome,
  type DeviceGrant,
  type LimitCounter,
  type RateLimit,
  type RequestFacts,
  readHeader,
  type ServedAnswer,
  takeLimits,
  tooManyRequestsAnswer,
} from "@tessera/core/http";
import {
  challengeHeader,
  parseProofField,
  parseSessionIdField,
  registrationHeader,
} from "./fields.js";
import { PROOF_ALGORITHMS, readRefresh, readRegistration } from "./proof.js";

/** Request and response header names, exactly as the draft spells them (lower-cased). */
export const HEADERS = {
  registration: "secure-session-registration",
  challenge: "secure-session-challenge",
  response: "secure-session-response",
  sessionId: "sec-secure-session-id",
} as const;

/**
 * Limits of the refresh route, counted before any store read or signature check. A browser
 * refreshes once per `cookieTtl` (10 minutes by default), with at most one retry on a 403, and
 * the draft has one refresh serve every tab: 5 a minute per session leaves room for retries
 * after a network failure, and holds someone with only the session cookie to 5 challenges or
 * signature checks a minute. It is counted per session and address, so a copied cookie used
 * from another address cannot use up the real browser's refreshes. 120 a minute per address
 * covers a large office behind one NAT
 * (every user refreshing every 10 minutes). A 429 does not end the browser's device-bound
 * session (the draft returns on 429 without terminating it).
 */
export interface RefreshLimits {
  /** Refreshes per session and address. @defaultValue `{ max: 5, windowSeconds: 60 }` */
  perSession?: RateLimit | false;
  /** Refreshes per client address (IPv6 by /64). @defaultValue `{ max: 120, windowSeconds: 60 }` */
  perAddress?: RateLimit | false;
  /**
   * Where counts live: this process's memory by default; `RedisLimitCounter` of
   * `@tessera/redis` to share them across servers.
   * @defaultValue `createMemoryCounter()`
   */
  counter?: LimitCounter;
}

/** Options of `createDbsc`. */
export interface DbscOptions {
  /**
   * Path of the registration route the gate serves (`POST`).
   * @defaultValue `"/tessera/dbsc/register"`
   */
  registrationPath?: string;
  /**
   * Path of the refresh route the gate serves (`POST`).
   * @defaultValue `"/tessera/dbsc/refresh"`
   */
  refreshPath?: string;
  /**
   * Name of the short-lived bound cookie.
   * @defaultValue `"__Host-tessera-bound"` when the session cookie is `__Host-` (secure), else
   * `"tessera-bound"`
   */
  cookieName?: string;
  /**
   * Seconds a bound cookie lives: how often the browser proves it still holds its key, and how
   * long a copied bound cookie could be used.
   * @defaultValue `600`
   */
  cookieTtl?: number;
  /**
   * Seconds a challenge may be answered (the registration challenge, and one sent with a 403);
   * the challenge sent with a new bound cookie lives `cookieTtl` longer, since the browser keeps
   * it until its next refresh.
   * @defaultValue `300`
   */
  challengeTtl?: number;
  /**
   * Path prefixes the device-bound session does not cover (the browser never refreshes for
   * them), e.g. static assets. The registration and refresh routes are outside it by the draft.
   * A path matches as the draft's scope rules say: exactly, below it (`/static` covers
   * `/static/app.js`), or by prefix when it ends in `/`. Since the browser does not keep the
   * bound cookie alive for these paths, the gate does not require it there (the fact
   * `dbscExcluded`): a session cookie copied to another machine works on these paths only, so
   * exclude nothing that acts on the user's behalf.
   * @defaultValue `[]`
   */
  excludePaths?: readonly string[];
  /**
   * Hosts of other sites allowed to start a refresh (the draft's `allowed_refresh_initiators`):
   * `"*"`, a host (`"embed.example"`) or a subdomain pattern (`"*.example.com"`). By default
   * only a request from the site itself can make the browser refresh, which keeps other sites
   * from timing a refresh to learn whether the visitor is signed in (the draft's side channel).
   * @defaultValue `[]`
   */
  allowedRefreshInitiators?: readonly string[];
  /**
   * The site's origin (`https://example.com`). When set, a proof's `aud` (the draft does not
   * require one) must be that origin's registration or refresh URL; without it, only its path
   * is compared.
   * @defaultValue none
   */
  origin?: string;
  /**
   * Rate limits of the refresh route (answered 429 `{ error: "too-many-requests" }` with
   * `Retry-After`), or `false` to turn them off.
   * @defaultValue 5 a minute per session, 120 a minute per address, counted in memory
   */
  refreshLimits?: RefreshLimits | false;
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
} as const;

function checkPath(name: string, value: string): string {
  // Printable ASCII only: the path travels in a structured header (an sf-string).
  if (typeof value !== "string" || !/^\/[\x21-\x7e]*$/.test(value) || /[?#"\\]/.test(value)) {
    throw new TesseraConfigError(
      `${name} must be an absolute ASCII path without query, like "/dbsc", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const HOST_PATTERN =
  /^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/;

function checkInitiator(pattern: unknown): string {
  if (typeof pattern !== "string" || pattern.length > 253 || !HOST_PATTERN.test(pattern)) {
    throw new TesseraConfigError(
      `allowedRefreshInitiators entries must be "*", a host or "*.host" in lower case, got ${JSON.stringify(pattern)}`,
    );
  }
  return pattern;
}

/** Whether `path` is covered by the scope rule path `rule` (the draft's "URL in scope"). */
export function pathMatches(path: string, rule: string): boolean {
  if (path === rule) return true;
  if (!path.startsWith(rule)) return false;
  return rule.endsWith("/") || path[rule.length] === "/";
}

function checkSeconds(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 10 || value > 24 * 60 * 60) {
    throw new TesseraConfigError(`${name} must be a whole number of seconds from 10 to 86400`);
  }
  return value;
}

function refreshLimitsOf(limits: RefreshLimits | false | undefined) {
  if (limits === false) return null;
  if (limits !== undefined && (typeof limits !== "object" || limits === null)) {
    throw new TesseraConfigError("refreshLimits must be an object or false");
  }
  return {
    perSession: checkRateLimit(
      "refreshLimits.perSession",
      limits?.perSession ?? { max: 5, windowSeconds: 60 },
    ),
    perAddress: checkRateLimit(
      "refreshLimits.perAddress",
      limits?.perAddress ?? { max: 120, windowSeconds: 60 },
    ),
    counter: checkCounter(limits?.counter),
  };
}

function json(status: number, body: unknown, headers?: Record<string, string>): ServedAnswer {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * Builds the DBSC handler for `sessions`. Pass it as the `dbsc` option of an integration
 * (Express, Hono, Fastify, Next.js): logins then offer the browser a device key, and once the
 * browser registered one, a copied session cookie stops working on any other machine at the
 * next bound-cookie refresh. Browsers without DBSC are not affected.
 *
 * @example
 * ```ts
 * import { createDbsc } from "@tessera/dbsc";
 * app.use(tessera(sessions, { dbsc: createDbsc(sessions) }));
 * ```
 * @throws TesseraConfigError for invalid options (a relative path, a lifetime out of range).
 */
export function createDbsc(sessions: Sessions, options: DbscOptions = {}): DbscHandler {
  if (!sessions || typeof sessions.device?.register !== "function") {
    throw new TesseraConfigError("createDbsc needs the sessions returned by createSessions()");
  }
  const registrationPath = checkPath(
    "registrationPath",
    options.registrationPath ?? "/tessera/dbsc/register",
  );
  const refreshPath = checkPath("refreshPath", options.refreshPath ?? "/tessera/dbsc/refresh");
  if (registrationPath === refreshPath) {
    throw new TesseraConfigError("registrationPath and refreshPath must differ");
  }
  const secure =
    sessions.cookie.name.startsWith("__Host-") || sessions.cookie.name.startsWith("__Secure-");
  const cookieName = options.cookieName ?? (secure ? "__Host-tessera-bound" : "tessera-bound");
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName) || cookieName === sessions.cookie.name) {
    throw new TesseraConfigError("cookieName must be a cookie name other than the session's");
  }
  const lifetimes = {
    cookieTtl: checkSeconds("cookieTtl", options.cookieTtl ?? 600),
    challengeTtl: checkSeconds("challengeTtl", options.challengeTtl ?? 300),
  };
  const excluded = (options.excludePaths ?? []).map((path) => checkPath("excludePaths", path));
  if (
    options.allowedRefreshInitiators !== undefined &&
    !Array.isArray(options.allowedRefreshInitiators)
  ) {
    throw new TesseraConfigError("allowedRefreshInitiators must be an array of host patterns");
  }
  const initiators = (options.allowedRefreshInitiators ?? []).map(checkInitiator);
  const origin = options.origin === undefined ? null : new URL(options.origin).origin;
  const limits = refreshLimitsOf(options.refreshLimits);
  // The bound cookie's attributes, written once: the session configuration repeats them so the
  // browser knows which cookie it must keep alive.
  const attributes = `Path=/; ${secure ? "Secure; " : ""}HttpOnly; SameSite=Lax`;
  const device = sessions.device;

  const audienceFor = (path: string) => (aud: string) => {
    try {
      const url = new URL(aud);
      return url.pathname === path && (origin === null || url.origin === origin);
    } catch {
      return false;
    }
  };
  const registrationRules = { audience: audienceFor(registrationPath) };
  const refreshRules = { audience: audienceFor(refreshPath) };

  /** The session configuration (the draft's "JSON session instructions"). */
  function instructions(sessionId: string) {
    return {
      session_identifier: sessionId,
      refresh_url: refreshPath,
      scope: {
        include_site: false,
        scope_specification: excluded.map((path) => ({ type: "exclude", path })),
      },
      credentials: [{ type: "cookie", name: cookieName, attributes }],
      ...(initiators.length > 0 ? { allowed_refresh_initiators: initiators } : {}),
    };
  }

  const cookieAttributes: CookieAttributes = { path: "/", httpOnly: true, secure, sameSite: "lax" };

  function boundCookie(grant: DeviceGrant): CookieValue {
    const maxAge = lifetimes.cookieTtl;
    return { name: cookieName, value: grant.cookie, attributes: { ...cookieAttributes, maxAge } };
  }

  function granted(sessionId: string, grant: DeviceGrant): DbscOutcome {
    return {
      answer: json(200, instructions(sessionId), {
        [HEADERS.challenge]: challengeHeader(grant.challenge, sessionId),
      }),
      cookie: boundCookie(grant),
    };
  }

  /** The registration offer headers, or `null` when the session is gone or already bound. */
  async function offer(sessionId: string): Promise<Record<string, string> | null> {
    const challenge = await device.offer(sessionId, lifetimes.challengeTtl);
    if (challenge === null) return null;
    return {
      [HEADERS.registration]: registrationHeader(PROOF_ALGORITHMS, registrationPath, challenge),
    };
  }

  const refused = (status: number, reason: string): DbscOutcome => ({
    answer: json(status, { error: "dbsc-refused", reason }),
    cookie: null,
  });

  return {
    routeOf(path) {
      if (path === registrationPath) return "registration";
      if (path === refreshPath) return "refresh";
      return null;
    },

    excludes(path) {
      if (typeof path !== "string" || excluded.length === 0) return false;
      for (const rule of excluded) if (pathMatches(path, rule)) return true;
      return false;
    },

    cookieName,

    clearCookie() {
      return { name: cookieName, value: "", attributes: { ...cookieAttributes, maxAge: 0 } };
    },

    offer,

    async register(request: RequestFacts, session: Session | null, client: ClientInfo) {
      if (!session) {
        device.report(null, null, "session-ended", client);
        return refused(401, "session-ended");
      }
      const proof = parseProofField(readHeader(request, HEADERS.response));
      const registration = await readRegistration(proof, registrationRules);
      const result = await device.register(session.id, registration, lifetimes, client);
      if (result.ok) return granted(session.id, result);
      if (result.reason === "session-ended") return refused(401, result.reason);
      // The explainer lets a failed registration be offered again: a 403 with a registration
      // header (the pending challenge, still answerable) instead of a new login. A bound session
      // is never offered a second key.
      const again = result.reason === "already-bound" ? null : await offer(session.id);
      if (again === null) return refused(400, result.reason);
      return {
        answer: json(403, { error: "dbsc-refused", reason: result.reason }, again),
        cookie: null,
      };
    },

    async refresh(request: RequestFacts, session: Session | null, client: ClientInfo) {
      if (limits !== null) {
        const checks: [string, RateLimit][] = [];
        const address = addressKey(client.ip);
        if (limits.perAddress && address !== null) {
          checks.push([`dbsc:addr:${address}`, limits.perAddress]);
        }
        // Per session *and* address: someone replaying a copied cookie from elsewhere must not
        // use up the real browser's refreshes.
        if (limits.perSession && session) {
          checks.push([`dbsc:sid:${session.id}:${address ?? "?"}`, limits.perSession]);
        }
        const wait = checks.length > 0 ? await takeLimits(limits.counter, checks) : null;
        if (wait !== null) return { answer: tooManyRequestsAnswer(wait), cookie: null };
      }
      const named = parseSessionIdField(readHeader(request, HEADERS.sessionId));
      // The refresh is for the session the long-lived cookie names, and no other: a revoked or
      // replaced session answers 401, which ends the browser's device-bound session (the draft).
      if (!session || named === null || named !== session.id) {
        device.report(named, session?.userId ?? null, "session-ended", client);
        return refused(401, "session-ended");
      }
      const view = await device.view(session.id);
      if (!view) {
        device.report(session.id, session.userId, "session-ended", client);
        return refused(401, "session-ended");
      }
      if (!view.key) {
        device.report(session.id, session.userId, "not-bound", client);
        return refused(401, "not-bound");
      }
      const response = readHeader(request, HEADERS.response);
      let proof = null;
      if (response) {
        const jwt = parseProofField(response);
        proof =
          jwt === null
            ? ({ refused: "malformed-proof" } as const)
            : await readRefresh(jwt, view.key, refreshRules);
      }
      const result = await device.refresh(session.id, proof, lifetimes, client);
      if (result.ok) return granted(session.id, result);
      if (result.challenge !== null) {
        // Sign this one (the draft's 403): the browser retries at once with the new challenge.
        return {
          answer: json(
            403,
            { error: "dbsc-challenge", reason: result.reason },
            { [HEADERS.challenge]: challengeHeader(result.challenge, session.id) },
          ),
          cookie: null,
        };
      }
      return refused(401, result.reason);
    },
  };
}
