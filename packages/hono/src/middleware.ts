/**
 * Hono on Tessera's request gate (`@tessera/core/http`). Web APIs only, so the same code runs on
 * Node (@hono/node-server), Bun, Deno, Cloudflare Workers and other edge runtimes. This file only
 * translates; every decision (CSRF, tokens, rotation, refusals) is the gate's.
 */
import type { CreatedSession, Session, SessionData, Sessions } from "@tessera/core";
import { TesseraConfigError } from "@tessera/core";
import {
  answerResponse,
  createGate,
  type GateOptions,
  type HeaderRecord,
  type HttpAnswer,
  type LoginInput,
  type LogoutEverywhereOptions,
  type RequestFacts,
  type RequestSession,
  type ResponseEffects,
  type ServedAnswer,
  serializeCookie,
} from "@tessera/core/http";
import type { Context, MiddlewareHandler } from "hono";

/** `c.var.tessera`: the request's session state and helpers; they keep `c.var.session` in step. */
export type TesseraContext = Omit<RequestSession, "refusal" | "effects" | "onSessionChange">;

/** The context variables `tessera()` sets. */
export interface TesseraVariables {
  /** The request's valid session, or `null`. */
  session: Session | null;
  /** The request's session state and helpers. */
  tessera: TesseraContext;
}

/** Hono `Env` for apps that type their variables through generics: `new Hono<TesseraEnv>()`. */
export type TesseraEnv = { Variables: TesseraVariables };

declare module "hono" {
  interface ContextVariableMap extends TesseraVariables {}
}

/** Answers a refusal your own way (an HTML page, a redirect) instead of the gate's JSON. */
export type OnRefused = (c: Context, answer: HttpAnswer) => Response | Promise<Response>;

/** Options of `tessera()`: the gate's (`csrf`, `allowedOrigins`, `trustedProxies`) and these. */
export interface TesseraOptions extends GateOptions {
  /**
   * The peer address of the connection. On other runtimes than @hono/node-server, Bun and
   * Deno, say where it is (Workers: `c.req.header("cf-connecting-ip")`).
   * @defaultValue read from the runtime's bindings on @hono/node-server, Bun and Deno
   */
  getRemoteAddress?: (c: Context) => string | undefined;
  /**
   * Device id to bind the session to (e.g. from a header your app sets), if any.
   * @defaultValue none
   */
  getDeviceId?: (c: Context) => string | undefined;
  /**
   * Answers a cross-site (403) or store-outage (503) refusal, including a store failure in a
   * handler after this middleware.
   * @defaultValue the gate's JSON answer
   */
  onRefused?: OnRefused;
}

export type { LogoutEverywhereOptions };

/** The gate's answer as a `Response`, exactly as given (core's `answerResponse`). */
export const toResponse: (answer: HttpAnswer | ServedAnswer) => Response = answerResponse;

/** Writes the gate's cookies (appended) and headers (replacing) through `write`. */
function writeEffects(
  effects: ResponseEffects,
  write: (name: string, value: string, append: boolean) => void,
) {
  for (const cookie of effects.cookies) write("set-cookie", serializeCookie(cookie), true);
  for (const name in effects.headers) write(name, effects.headers[name]!, false);
}

/**
 * On @hono/node-server, Node's own header object: reading it spares the adapter building a full
 * Fetch `Request` (and its `Headers`) just so the gate can read four headers. Only when it has a
 * Host (HTTP/2 names it `:authority`), which the CSRF check needs.
 */
function nodeHeaders(c: Context): HeaderRecord | undefined {
  type Incoming = { incoming?: { headers?: unknown } };
  const env = c.env as (Incoming & { server?: Incoming }) | undefined;
  const headers = (env?.server ?? env)?.incoming?.headers as HeaderRecord | undefined;
  return typeof headers === "object" && headers !== null && typeof headers.host === "string"
    ? headers
    : undefined;
}

/**
 * The socket's peer address where the runtime exposes it to the handler, read structurally so
 * this package imports nothing runtime-specific: @hono/node-server (`env.incoming.socket`), Bun
 * (`env.requestIP(request)`) and `Deno.serve` (`env.remoteAddr`). Never a proxy header.
 */
function runtimeAddress(c: Context): string | undefined {
  type Bindings = {
    incoming?: { socket?: { remoteAddress?: unknown } };
    requestIP?: (request: Request) => { address?: unknown } | null;
    remoteAddr?: { hostname?: unknown };
  };
  const env = c.env as (Bindings & { server?: Bindings }) | undefined;
  const source = env?.server ?? env;
  const address =
    source?.incoming?.socket?.remoteAddress ??
    (typeof source?.requestIP === "function" ? source.requestIP(c.req.raw)?.address : undefined) ??
    source?.remoteAddr?.hostname;
  return typeof address === "string" ? address : undefined;
}

/**
 * One validate per request and session manager, kept on the `Request` itself while the request
 * runs (sub-apps called with the same request share it), and dropped when the first mount
 * finishes. The common case, one session manager, keeps its state there directly; a second one
 * turns it into a Map.
 *
 * Dropped, not left for the garbage collector: @hono/node-server's `Request` objects often live
 * in V8's old generation, and an old object that points at a young one keeps it alive through
 * every minor collection until the next full one. Left in place, the state kept each finished
 * request's whole graph (context, response, Node's request) alive that long: on a Hono + Redis
 * server at 64 connections, 3 MB survived each minor collection (0.25 to 2 MB once dropped; V8's
 * pretenuring decides the rest) and the server spent up to a third more CPU per request.
 */
const CHECKED = Symbol.for("tessera.hono.checked");
type Checked = Request & { [CHECKED]?: RequestSession | Map<Sessions, RequestSession> };

/** The state `sessions` already made for this request, if any. */
function checkedBy(raw: Checked, sessions: Sessions): RequestSession | undefined {
  const checked = raw[CHECKED];
  if (checked === undefined) return undefined;
  if (checked instanceof Map) return checked.get(sessions);
  return checked.sessions === sessions ? checked : undefined;
}

/** Forgets `state` once its request is answered (see `CHECKED`); a second manager's Map stays. */
function forgetChecked(raw: Checked, state: RequestSession): void {
  if (raw[CHECKED] === state) raw[CHECKED] = undefined;
}

/** Notes that `sessions` made `state` for this request. */
function markChecked(raw: Checked, sessions: Sessions, state: RequestSession): void {
  const checked = raw[CHECKED];
  if (checked === undefined) raw[CHECKED] = state;
  else if (checked instanceof Map) checked.set(sessions, state);
  else
    raw[CHECKED] = new Map([
      [checked.sessions, checked],
      [sessions, state],
    ]);
}

/**
 * A request's facts for the gate, one object per request with nothing computed ahead: on
 * @hono/node-server the Node header object (no `header` reader), elsewhere a reader over the
 * Fetch headers; `secure` is read from the URL only when the CSRF check asks.
 */
class HonoFacts implements RequestFacts {
  readonly method: string;
  readonly headers: HeaderRecord | undefined;
  readonly remoteAddress: string | undefined;
  readonly deviceId: string | undefined;
  readonly path: string;
  readonly #c: Context;

  constructor(
    c: Context,
    headers: HeaderRecord | undefined,
    remoteAddress: string | undefined,
    deviceId: string | undefined,
  ) {
    this.#c = c;
    this.method = c.req.method;
    this.headers = headers;
    this.remoteAddress = remoteAddress;
    this.deviceId = deviceId;
    this.path = c.req.path;
  }

  get secure(): boolean {
    return this.#c.req.raw.url.startsWith("https:");
  }

  header(name: string): string | undefined {
    const c = this.#c;
    // Requests built in code (app.request, a fetch handler's Request) may lack Host.
    return c.req.header(name) ?? (name === "host" ? new URL(c.req.raw.url).host : undefined);
  }
}

/**
 * The Tessera middleware for Hono: `app.use(tessera(sessions))`. Refuses unsafe cross-site
 * requests (403), validates the cookie or bearer token once per request, sets `c.var.session`
 * and `c.var.tessera`, and once the handler has answered writes the rotated cookie or
 * `tessera-token` header (with `Cache-Control: private, no-store`). A store outage, here or in
 * a handler, answers 503, never "logged out".
 *
 * @example
 * ```ts
 * app.use(tessera(sessions));
 * app.get("/me", requireSession(), (c) => c.json({ user: c.var.session!.userId }));
 * ```
 * @throws TesseraConfigError for invalid options.
 */
export const tessera = (
  sessions: Sessions,
  options: TesseraOptions = {},
): MiddlewareHandler<TesseraEnv> => {
  const gate = createGate(sessions, options);
  const { getDeviceId, onRefused } = options;
  const getRemoteAddress = options.getRemoteAddress ?? runtimeAddress;
  const refuse = (c: Context, answer: HttpAnswer) =>
    onRefused ? onRefused(c, answer) : toResponse(answer);

  /** A request a first mount checked (a nested app, a second `app.use`): it validated and writes. */
  async function resume(c: Context, next: () => Promise<void>, known: RequestSession) {
    c.set("tessera", known);
    c.set("session", known.session);
    await next();
  }

  /** After the gate: refuse, serve a DBSC route, or run the handler and write the effects. */
  function proceed(
    c: Context,
    next: () => Promise<void>,
    raw: Checked,
    state: RequestSession,
  ): Response | Promise<Response | undefined> {
    if (state.refusal) return refuse(c, state.refusal);
    if (state.served) {
      // A DBSC route, answered by the gate itself.
      const response = toResponse(state.served);
      const effects = state.effects();
      if (effects) {
        writeEffects(effects, (name, value, append) =>
          append ? response.headers.append(name, value) : response.headers.set(name, value),
        );
      }
      return response;
    }
    markChecked(raw, sessions, state);
    c.set("tessera", state);
    c.set("session", state.session);
    state.onSessionChange = (session) => c.set("session", session);
    return next().then(() => finish(c, raw, state));
  }

  /** Once the handler answered: a store failure in it answers 503, then the gate's effects. */
  function finish(c: Context, raw: Checked, state: RequestSession): Promise<undefined> | undefined {
    forgetChecked(raw, state);
    // A handler's login/logout failed on the store: 503, not the default 500.
    const failed = c.error ? gate.answerForError(c.error) : null;
    if (!failed) return writeState(c, state);
    return Promise.resolve(refuse(c, failed)).then((response) => {
      c.res = response;
      return writeState(c, state);
    });
  }

  // Not `async`: a promise chain (the gate's, then the handler's) spares a suspended frame per
  // request. Whatever throws before the gate answers still rejects, as from an async function.
  return function tessera(c, next) {
    try {
      const raw = c.req.raw as Checked;
      const known = checkedBy(raw, sessions);
      if (known) return resume(c, next, known);
      return gate
        .open(new HonoFacts(c, nodeHeaders(c), getRemoteAddress(c), getDeviceId?.(c)))
        .then((state): Response | Promise<Response | undefined> => proceed(c, next, raw, state));
    } catch (error) {
      return Promise.reject(error);
    }
  };
};

/**
 * Writes the state's effects (if any) onto the response's own headers. Not through `c.header`:
 * on a finished response it copies the response first, which on @hono/node-server turns its
 * lightweight response into a full Fetch `Response` (a rotated cookie then cost a rotating
 * request ~400 µs of CPU). A response whose headers are immutable (a `fetch` result, a
 * `Response.redirect`) still goes through `c.header`, which copies it.
 */
function writeState(c: Context, state: RequestSession): undefined {
  const effects = state.effects();
  if (effects === null) return undefined;
  const headers = c.res.headers;
  try {
    writeEffects(effects, (name, value, append) =>
      append ? headers.append(name, value) : headers.set(name, value),
    );
  } catch {
    writeEffects(effects, (name, value, append) => c.header(name, value, { append }));
  }
  return undefined;
}

/** The request's `c.var.tessera`; throws `TesseraConfigError` when `tessera()` did not run. */
function stateOf(c: Context, helper: string): TesseraContext {
  const state = c.get("tessera") as TesseraContext | undefined;
  if (typeof state?.require !== "function") {
    throw new TesseraConfigError(`${helper}() needs app.use(tessera(sessions)) on this route`);
  }
  return state;
}

/**
 * Starts a session for a user whose credentials the application checked: ends the session the
 * request had (no fixation), sets the cookie (and `tessera-token` for a bearer client), updates
 * `c.var.session`. Resolves the new session and its token.
 * @throws StoreUnavailableError when the store is down (the middleware answers 503).
 *
 * @example
 * ```ts
 * app.post("/login", async (c) => {
 *   const { user, password } = await c.req.json();
 *   if (!(await checkPassword(user, password))) return c.json({ error: "invalid-credentials" }, 401);
 *   await login(c, user, { role: "member" });
 *   return c.json({ user });
 * });
 * ```
 */
export function login(c: Context, user: LoginInput, data?: SessionData): Promise<CreatedSession> {
  return stateOf(c, "login").login(user, data);
}

/** Ends the request's session and clears the cookie. Resolves `true` if a session ended. */
export function logout(c: Context): Promise<boolean> {
  return stateOf(c, "logout").logout();
}

/**
 * Ends every session of the request's user, this one included (cookie cleared), or all but this
 * one with `{ keepCurrent: true }`. Resolves to the number ended; 0 without a session.
 */
export function logoutEverywhere(c: Context, options?: LogoutEverywhereOptions): Promise<number> {
  return stateOf(c, "logoutEverywhere").logoutEverywhere(options);
}

/** Issues a new secret now (after a privilege change) and writes it; `null` without a session. */
export function rotate(c: Context): Promise<Session | null> {
  return stateOf(c, "rotate").rotate();
}

/** Step-up done (password re-checked): new secret, fresh session, new cookie; `null` without one. */
export function reauthenticate(c: Context): Promise<Session | null> {
  return stateOf(c, "reauthenticate").reauthenticate();
}

/** Options of `requireSession` and `requireFresh`. */
export interface GuardOptions {
  /**
   * Answers a 401 / 403 refusal (e.g. redirect to a login page).
   * @defaultValue the JSON answer
   */
  onRefused?: OnRefused;
}

function guard(level: "session" | "fresh", options: GuardOptions, name: string) {
  const { onRefused } = options;
  const middleware: MiddlewareHandler<TesseraEnv> = async function requireTesseraSession(c, next) {
    const refusal = stateOf(c, name).require(level);
    if (!refusal) {
      await next();
      return;
    }
    return onRefused ? onRefused(c, refusal) : toResponse(refusal);
  };
  return middleware;
}

/**
 * Lets the request through only with a valid session; otherwise 401 `{ error: "unauthenticated", reason? }`.
 *
 * @example
 * ```ts
 * app.get("/me", requireSession(), (c) => c.json({ user: c.var.session.userId }));
 * app.get("/account", requireSession({ onRefused: (c) => c.redirect("/login") }), page);
 * ```
 */
export const requireSession = (options: GuardOptions = {}): MiddlewareHandler<TesseraEnv> =>
  guard("session", options, "requireSession");

/**
 * Lets the request through only with a fresh session (a login or step-up within `freshFor`):
 * 401 without a session, 403 `{ error: "not-fresh" }` when stale. `reauthenticate(c)` after a
 * password check makes the session fresh again.
 *
 * @example
 * ```ts
 * app.post("/password", requireFresh(), changePassword); // 403 { error: "not-fresh" } after freshFor
 * ```
 */
export const requireFresh = (options: GuardOptions = {}): MiddlewareHandler<TesseraEnv> =>
  guard("fresh", options, "requireFresh");
