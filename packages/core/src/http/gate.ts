/**
 * The request gate: the whole per-request session logic, once, for every framework. An
 * integration hands it the request's facts (`facts.ts`) and gets back the request's session
 * state (`request-state.ts`) with its helpers, or one `HttpAnswer` refusing the request; when the
 * handler is done, it writes `effects()` (cookies as values, headers) onto the response.
 * Integrations translate; they decide nothing.
 */
import type { ClientInfo } from "../binding.js";
import { cookieValues } from "../cookie.js";
import { TesseraConfigError } from "../errors.js";
import type { Sessions, ValidateGuestOptions } from "../sessions.js";
import { answerForError, crossSiteAnswer, type HttpAnswer } from "./answers.js";
import type { DbscHandler, DbscRoute } from "./dbsc.js";
import {
  clientOf,
  ownOrigin,
  type RequestFacts,
  readHeader,
  type SessionCookies,
  sessionCookies,
} from "./facts.js";
import { createOriginCheck, type OriginCheck } from "./origin.js";
import {
  type CheckedSession,
  GateRequest,
  NO_BOUND_COOKIE,
  type Reporter,
  type RequestSession,
  reportedAnswerForError,
} from "./request-state.js";

/** What every integration's options share, under the same names everywhere. */
export interface GateOptions {
  /**
   * Refuse unsafe cross-site requests (CSRF) by `Sec-Fetch-Site` / `Origin`.
   * @defaultValue `true`
   */
  csrf?: boolean;
  /**
   * Other origins (`https://admin.example.com`) or hosts (`admin.example.com:8443`) whose
   * unsafe requests are accepted, e.g. a front end on another subdomain. A bare host matches
   * `https:` only when the session cookie is `Secure` (any scheme without, as in development).
   * @defaultValue `[]`
   */
  allowedOrigins?: readonly string[];
  /**
   * How many reverse proxies run in front of the server, each appending to `X-Forwarded-For`
   * (or `Forwarded`, RFC 7239). With 0, the client address is the socket's and no proxy header
   * is read (anyone can write them). With N, the address is the N-th entry from the right
   * (`X-Forwarded-For` when present, else `Forwarded`'s `for=`; a port is stripped, an entry that
   * is not an address means "unknown", never the proxy's address), and the first
   * `X-Forwarded-Host` / `X-Forwarded-Proto` values name the origin for the CSRF check.
   * @defaultValue `0`
   */
  trustedProxies?: number;
  /**
   * Observes every refusal the gate answers (403, 401, 503), e.g. to count 503s in metrics
   * (`@tessera/otel`'s `recordAnswer`). It cannot change the answer; errors it throws are ignored.
   */
  onRefusal?: (answer: HttpAnswer) => void;
  /**
   * Device-bound session credentials (DBSC): `createDbsc()` of `@tessera/dbsc`. With it, a login
   * offers the browser a key registration, the gate serves the registration and refresh routes
   * itself, and a session whose browser registered a key works only with the short-lived cookie
   * that key renews. Browsers without DBSC keep working as before. Without it, a session that
   * registered a key elsewhere is refused here (`device-unbound`): the binding is never skipped.
   * @defaultValue none (off)
   */
  dbsc?: DbscHandler;
  /**
   * Observes what the gate noticed without refusing (`GateSignal`), e.g. several session
   * cookies of which none is valid: cookie tossing from a sibling domain, answered 401 without
   * clearing any. For logs and alerts; errors it throws are ignored.
   * @defaultValue none
   */
  onSignal?: (signal: GateSignal) => void;
}

/**
 * Something the gate noticed and answered safely. `cookie-tossing`: the request carried several
 * cookies of the session's name (`cookies`, of which `wellFormed` were tokens) and none was
 * valid; none was cleared, since clearing could delete the real one. Possible only when the
 * session cookie can be planted by a sibling (`cookie.domain`, or a name without `__Host-`).
 */
export type GateSignal = {
  type: "cookie-tossing";
  cookies: number;
  wellFormed: number;
  client: ClientInfo;
};

/** The gate built once per application by `createGate`. */
export interface Gate {
  /** The session manager behind it. */
  readonly sessions: Sessions;
  /**
   * Checks one request: the CSRF rule first (no store call), then the token(s) it carries.
   * Resolves its session state; `refusal` is set when the request must be answered with it
   * (403 cross-site, 503 store outage) and go no further. Never rejects for a store outage.
   */
  open(request: RequestFacts): Promise<RequestSession>;
  /** The session state of a request already checked elsewhere (no store call, no CSRF check). */
  resume(checked: CheckedSession, request: RequestFacts): RequestSession;
  /**
   * The 503 answer for a Tessera store failure thrown by a handler (`login`, `logout`, ...), else
   * `null`; like `answerForError`, and reported to `onRefusal`.
   */
  answerForError(error: unknown): HttpAnswer | null;
}

const MAX_TRUSTED_PROXIES = 16;

function checkOptions(sessions: Sessions, options: GateOptions) {
  if (!isSessions(sessions)) {
    throw new TesseraConfigError("pass the sessions returned by createSessions() first");
  }
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("options must be an object");
  }
  if (options.csrf === false && options.allowedOrigins !== undefined) {
    throw new TesseraConfigError("allowedOrigins has no effect with csrf: false; drop one");
  }
  const hops = options.trustedProxies ?? 0;
  if (!Number.isInteger(hops) || hops < 0 || hops > MAX_TRUSTED_PROXIES) {
    throw new TesseraConfigError(
      `trustedProxies must be a whole number of proxies from 0 to ${MAX_TRUSTED_PROXIES}, got ${String(options.trustedProxies)}`,
    );
  }
  return hops;
}

/**
 * Whether `value` is the session manager `createSessions` returns, checked by shape (not
 * `instanceof`, so an ESM and a CommonJS copy of core agree).
 */
export function isSessions(value: unknown): value is Sessions {
  const candidate = value as Partial<Sessions> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.validate === "function" &&
    typeof candidate.create === "function" &&
    typeof candidate.cookie?.issue === "function"
  );
}

/**
 * Builds the request gate of an integration. Call it once, when the middleware is created.
 *
 * @example
 * ```ts
 * const gate = createGate(sessions, { trustedProxies: 1 });
 * const state = await gate.open({ method: req.method, header: (name) => req.headers.get(name) });
 * if (state.refusal) return new Response(state.refusal.body, state.refusal);
 * ```
 * @throws TesseraConfigError for options that make no sense (a bad origin, a negative count).
 */
export function createGate(sessions: Sessions, options: GateOptions = {}): Gate {
  const trustedProxies = checkOptions(sessions, options);
  const checkOrigin: OriginCheck | null =
    options.csrf === false
      ? null
      : createOriginCheck(options.allowedOrigins, {
          secureCookie: sessions.cookie.clear().attributes.secure === true,
        });
  const cookieName = sessions.cookie.name;
  const dbsc = options.dbsc ?? null;
  if (dbsc !== null && (typeof dbsc !== "object" || typeof dbsc.refresh !== "function")) {
    throw new TesseraConfigError("dbsc must be the handler createDbsc() of @tessera/dbsc returns");
  }
  const observe = options.onRefusal;
  if (observe !== undefined && typeof observe !== "function") {
    throw new TesseraConfigError("onRefusal must be a function (answer) => void");
  }
  const onSignal = options.onSignal;
  if (onSignal !== undefined && typeof onSignal !== "function") {
    throw new TesseraConfigError("onSignal must be a function (signal) => void");
  }
  const signal = (value: GateSignal) => {
    try {
      onSignal?.(value);
    } catch {
      // Observers never change an answer.
    }
  };
  const report: Reporter = observe
    ? (answer: HttpAnswer) => {
        try {
          observe(answer);
        } catch {
          // Metrics never change an answer.
        }
        return answer;
      }
    : null;

  /** What the request shows for device binding: its bound cookie, parsed like the session's. */
  function boundCookie(cookieHeader: string | null | undefined): ValidateGuestOptions {
    const value = dbsc ? cookieValues(cookieHeader, dbsc.cookieName, 1)[0] : undefined;
    return value ? { boundCookie: value, guests: true } : NO_BOUND_COOKIE;
  }

  /** What a check makes of a store failure (a refused state), made once for every request. */
  const failed = GateRequest.failure(sessions, report);

  /** What a tossed cookie makes the gate signal (only with `onSignal`). */
  const tossed = onSignal
    ? (state: GateRequest, cookies: SessionCookies) =>
        signal({
          type: "cookie-tossing",
          cookies: cookies.presented,
          wellFormed: cookies.candidates.length,
          client: state.client,
        })
    : null;

  /**
   * `open`, synchronous up to the store call: the CSRF rule, then the request's state, whose
   * `check` is the one async step handed back (no `async` wrapper of its own on the hot path).
   */
  function openRequest(request: RequestFacts): Promise<GateRequest> {
    if (request.headers === undefined && typeof request.header !== "function") {
      throw new TesseraConfigError("request facts need a header(name) reader or a headers object");
    }
    const cookieHeader = readHeader(request, "cookie");
    const cookies = sessionCookies(cookieHeader, cookieName);
    const method = request.method;
    const route = dbsc && method === "POST" ? dbsc.routeOf(request.path) : null;
    // GET, HEAD and OPTIONS always pass the CSRF rule: no need to build its facts. The two
    // DBSC routes are authenticated by the key proof (a signature by the registered key over
    // a challenge of ours, which no other site can produce), not by the CSRF rule: a login
    // finished on a request another site started (an identity provider posting back) makes
    // the browser send that site's Origin to the registration route.
    if (
      checkOrigin &&
      route === null &&
      method !== "GET" &&
      method !== "HEAD" &&
      method !== "OPTIONS"
    ) {
      const refused = checkOrigin({
        method,
        origin: readHeader(request, "origin"),
        secFetchSite: readHeader(request, "sec-fetch-site"),
        ownOrigin: () => ownOrigin(request, trustedProxies),
        hasSessionCookie: cookies.presented > 0,
      });
      if (refused) {
        return Promise.resolve(GateRequest.refused(sessions, crossSiteAnswer(refused), report));
      }
    }
    const state = new GateRequest(sessions, clientOf(request, trustedProxies), report, dbsc);
    if (route !== null && dbsc !== null) return serveDbscRoute(state, cookies, request, route);
    if (dbsc?.excludes?.(request.path) === true) {
      // A path the device-bound session does not cover: the browser does not renew the
      // bound cookie for it, so it is not required here, and only here.
      return state.check(cookies, request, { dbscExcluded: true, guests: true }, tossed, failed);
    }
    return state.check(cookies, request, boundCookie(cookieHeader), tossed, failed);
  }

  /**
   * A DBSC route: the key proof is what it checks, the bound cookie what it renews. The one
   * opt-out of the device-binding rule, by the route's name.
   */
  async function serveDbscRoute(
    state: GateRequest,
    cookies: SessionCookies,
    request: RequestFacts,
    route: DbscRoute,
  ): Promise<GateRequest> {
    const checked = await state.check(cookies, request, { dbscRoute: route, guests: true }, tossed);
    if (checked !== state || dbsc === null) return checked;
    try {
      await state.serve(dbsc, route, request);
    } catch (error) {
      const answer = answerForError(error);
      if (!answer) throw error;
      return GateRequest.refused(sessions, answer, report);
    }
    return state;
  }

  return {
    sessions,

    open(request) {
      try {
        return openRequest(request);
      } catch (error) {
        // A throwing header reader, invalid facts: a rejection, as from any async step.
        return Promise.reject(error);
      }
    },

    answerForError: (error) => reportedAnswerForError(error, report),

    resume(checked, request) {
      const state = new GateRequest(sessions, clientOf(request, trustedProxies), report, dbsc);
      state.resumeFrom(checked, boundCookie(readHeader(request, "cookie")), request);
      return state;
    },
  };
}
