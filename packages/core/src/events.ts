/** Security and lifecycle events, for audit logs and anomaly alerts. */
import type { SessionClientInfo } from "./session.js";

/** Every event type Tessera emits. */
export type SessionEventType =
  | "session.created"
  | "session.rotated"
  | "session.reauthenticated"
  | "session.updated"
  | "session.revoked"
  | "session.expired"
  | "session.reuse_detected"
  | "session.binding_mismatch"
  | "session.invalid_secret"
  | "session.dbsc_registered"
  | "session.dbsc_refreshed"
  | "session.dbsc_refused"
  | "session.upgraded"
  | "session.limit_evicted"
  | "session.impersonation_started"
  | "session.impersonation_ended";

/** One event. Never carries a token, a secret or a secret hash. */
export interface SessionEvent {
  type: SessionEventType;
  /** The session concerned; `null` for a `revokeAll` (see `sessionIds`). */
  sessionId: string | null;
  userId: string | null;
  at: Date;
  /** The client of the request that caused the event, if there was one. */
  client: SessionClientInfo | null;
  /**
   * For `binding_mismatch`: `"soft"` (accepted) or `"strict"` (refused). For `revoked`:
   * `"revoke"`, `"revoke-all"`, `"reuse"`, `"epoch"` (a record found dead by a revocation epoch
   * and cleaned up), `"issued-before"` (`revokeIssuedBefore`), or `"policy-removed"` (a session
   * whose policy class is no longer configured). For `limit_evicted`: the class name. For `rotated`: what rotated it, `"validate"` (the
   * interval), `"rotate"` or `"reauthenticate"`. For `updated`: `"data"` or `"bind"`. For
   * `dbsc_refused`: why (`"wrong-key"`, `"replayed-challenge"`, `"expired-challenge"`,
   * `"session-ended"`, `"missing-bound-cookie"`, ...; see `DeviceRefusal`). For
   * `dbsc_registered`: the key's algorithm.
   */
  detail?: string;
  /** For a `revokeAll`: how many sessions the store removed. */
  count?: number;
  /**
   * For a `revokeAll`: the sessions it ended, every one live when it began (the `except` one
   * left out). A session created while it ran may be ended without being named here. For a
   * `limit_evicted`: the sessions the limit ended.
   */
  sessionIds?: string[];
  /**
   * The other session of a two-session event: for `upgraded`, the guest session that became
   * `sessionId`; for `impersonation_started`, the admin's own session.
   */
  relatedSessionId?: string;
  /** For `impersonation_started` / `impersonation_ended`: the admin acting as `userId`. */
  impersonatedBy?: string;
  /** For `impersonation_started`: the reason the admin gave. */
  reason?: string;
}

/** Receives events. Errors it throws (or rejections it returns) are swallowed: auditing never breaks a login. */
export type SessionEventHandler = (event: SessionEvent) => void | Promise<void>;

/** Calls the handler, isolating the session lifecycle from its failures. */
export function emitEvent(handler: SessionEventHandler | undefined, event: SessionEvent): void {
  if (!handler) return;
  try {
    const result = handler(event);
    if (result && typeof (result as Promise<void>).then === "function") {
      (result as Promise<void>).then(undefined, () => {});
    }
  } catch {
    // An audit sink failing must not turn into a failed request.
  }
}
