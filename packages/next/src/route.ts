/**
 * Route handlers (`app/**\/route.ts`): a wrapper that gives the handler the session and
 * cookie-writing `login` / `logout` helpers, refuses cross-site unsafe requests, answers 503 on
 * a store outage and, when asked, 401/403 without a (fresh) session. Plain `Request` and
 * `Response`, so it runs on the Node.js and the Edge runtime.
 */
import {
  type CreatedSession,
  guardSession,
  type InvalidReason,
  readRequestSession,
  type Session,
  type SessionData,
  type Sessions,
  StoreUnavailableError,
  TesseraConfigError,
} from "@tessera/core";
import { forwardedSession, resolveNextOptions, type TesseraNextOptions } from "./options.js";
import { originFacts, sessionFacts } from "./request.js";
import { applySessionHeaders, crossSiteResponse, storeUnavailableResponse } from "./respond.js";

/** The session helpers a wrapped route handler receives. */
export interface RouteSession {
  /** The session of this request (after `login` or `logout`, the new state), or `null`. */
  readonly session: Session | null;
  /**
   * Starts a session for a user whose credentials you have checked, ending the request's
   * previous session if any. The cookie is set on the response; the token is also returned for
   * bearer clients (mobile, CLI), which have no cookie jar.
   */
  login(input: { userId: string; data?: SessionData }): Promise<CreatedSession>;
  /** Ends this request's session and clears the cookie. Resolves `true` if there was one. */
  logout(): Promise<boolean>;
  /**
   * Ends every session of this request's user (all devices) and clears the cookie, or keeps
   * the current session with `keepCurrent: true`. Resolves to the number ended.
   */
  logoutEverywhere(options?: { keepCurrent?: boolean }): Promise<number>;
}

/** Options of `withSession`. */
export interface WithSessionOptions extends TesseraNextOptions {
  /** Answer 401 without a session, or (`"fresh"`) 403 when not fresh. Default: no guard. */
  require?: "session" | "fresh";
}

/** A route handler that receives the session helpers before Next.js's own context argument. */
export type SessionRouteHandler<Context> = (
  request: Request,
  tessera: RouteSession,
  context: Context,
) => Response | Promise<Response>;

/**
 * Wraps a route handler. The session comes from the proxy's signed verdict when the proxy ran
 * for this request, else from one validation here (rotating and setting the cookie itself), so
 * routes outside the proxy's matcher work too. Throws `TesseraConfigError` for invalid options.
 */
export function withSession<Context = unknown>(
  sessions: Sessions,
  handler: SessionRouteHandler<Context>,
  options: WithSessionOptions = {},
): (request: Request, context: Context) => Promise<Response> {
  const resolved = resolveNextOptions(sessions, options);
  const required = options.require;
  if (required !== undefined && required !== "session" && required !== "fresh") {
    throw new TesseraConfigError('require must be "session" or "fresh"');
  }

  return async function handleWithSession(request, context) {
    const refusal = resolved.checkOrigin?.(originFacts(request.method, request.headers));
    if (refusal) return crossSiteResponse(refusal);

    let session: Session | null;
    let reason: InvalidReason | null = null;
    let setCookie: string | null = null;
    let rotatedToken: string | null = null;
    try {
      const forwarded = await forwardedSession(sessions, request.headers, resolved);
      if (forwarded.status === "verified") {
        // The proxy already rotated the session and set the cookie.
        ({ session, reason } = forwarded);
      } else {
        const found = await readRequestSession(
          sessions,
          sessionFacts(request.headers),
          resolved.client(request.headers),
        );
        ({ session, reason, setCookie, rotatedToken } = found);
      }
    } catch (error) {
      if (error instanceof StoreUnavailableError) return storeUnavailableResponse();
      throw error;
    }

    if (required) {
      const refused = guardSession({ session, reason }, required === "fresh");
      if (refused) {
        const answer = Response.json(refused.body, { status: refused.status });
        return applySessionHeaders(answer, setCookie ? [setCookie] : [], rotatedToken);
      }
    }

    const tessera: RouteSession = {
      get session() {
        return session;
      },
      async login(input) {
        const created = await sessions.create({
          userId: input.userId,
          ...(input.data !== undefined ? { data: input.data } : {}),
          client: resolved.client(request.headers),
        });
        if (session) await sessions.revoke(session.id);
        session = created.session;
        setCookie = sessions.cookie.serialize(created.token, created.session.expiresAt);
        rotatedToken = null;
        return created;
      },
      async logout() {
        const ended = session ? await sessions.revoke(session.id) : false;
        session = null;
        setCookie = sessions.cookie.blank();
        rotatedToken = null;
        return ended;
      },
      async logoutEverywhere(logoutOptions) {
        if (!session) return 0;
        if (logoutOptions?.keepCurrent) {
          return sessions.revokeAll(session.userId, { except: session.id });
        }
        const count = await sessions.revokeAll(session.userId);
        session = null;
        setCookie = sessions.cookie.blank();
        rotatedToken = null;
        return count;
      },
    };

    let response: Response;
    try {
      response = await handler(request, tessera, context);
    } catch (error) {
      if (error instanceof StoreUnavailableError) return storeUnavailableResponse();
      throw error;
    }
    return applySessionHeaders(response, setCookie ? [setCookie] : [], rotatedToken);
  };
}
