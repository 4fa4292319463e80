/**
 * What the lifecycle answers: the results of `validate`, `rotate`, `reauthenticate` and
 * `create`, and the options of a check. Shared by the decisions and the session manager.
 */
import type { GuestSession, Session } from "./session.js";

/**
 * Why `validate` (or `rotate`) refused a token. `stale` comes only from `rotate` and
 * `reauthenticate`: the token's secret was already rotated away; retry with the current token.
 */
export type InvalidReason =
  | "malformed"
  | "not-found"
  | "invalid-secret"
  | "expired"
  | "reused"
  | "binding-mismatch"
  | "stale"
  | "device-unbound";

/**
 * Options of `validate`, `rotate` and `reauthenticate`: what the request shows for the
 * device-binding rule. A session whose browser registered a DBSC key is valid only with a live
 * bound cookie (else `device-unbound`), and that holds by default: a caller that passes nothing
 * is treated as a request without the bound cookie. Integrations on the gate pass it for you.
 */
export interface ValidateOptions {
  /**
   * The value of the request's short-lived DBSC bound cookie, or `null` when it carries none.
   * @defaultValue `null`
   */
  boundCookie?: string | null;
  /**
   * The one opt-out of the device-binding rule, by name: this request is the DBSC registration
   * or refresh route, where the key proof itself is checked (`@tessera/dbsc` via the gate).
   */
  dbscRoute?: "registration" | "refresh";
  /**
   * This request is for a path the device-bound session does not cover (`excludePaths` of
   * `@tessera/dbsc`): the browser does not renew the bound cookie for it, so it is not required.
   * Set only by the gate, for a configured excluded path; never derive it from the request.
   */
  dbscExcluded?: true;
}

/**
 * Result of `validate` / `rotate`. When `token` is not `null`, send it to the client
 * (`sessions.cookie.serialize(token, session.expiresAt)`): the secret rotated or the expiry moved.
 */
export type ValidateResult =
  | { ok: true; session: Session; token: string | null }
  | { ok: false; reason: InvalidReason };

/**
 * What `validate(token, client, { guests: true })` answers for a live guest token: the guest
 * session, `session: null`, and a token to send when it is not `null` (as for a user session).
 */
export interface GuestValidateResult {
  ok: true;
  guest: GuestSession;
  session: null;
  token: string | null;
}

/** The result of `validate(..., { guests: true })`: a user's session, a guest's, or a refusal. */
export type ValidateResultWithGuests = ValidateResult | GuestValidateResult;

/** Options of `validate` that also accept a guest session. */
export interface ValidateGuestOptions extends ValidateOptions {
  /**
   * Accept a guest token (`createGuest`) as well: it answers `{ ok: true, guest, session: null }`.
   * Without it, a guest token is `not-found`: a guest is never a logged-in user.
   */
  guests: true;
}

/** What `createGuest` returns: the guest session and the token to hand to the client once. */
export interface CreatedGuest {
  guest: GuestSession;
  token: string;
}

/** What `create` returns: the session and the token to hand to the client once. */
export interface CreatedSession {
  session: Session;
  token: string;
}
