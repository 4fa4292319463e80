/**
 * The validate decision, and its two forced forms (`rotate`, `reauthenticate`): what a request
 * presenting a token may do to a session, as a pure function of the record, the presented
 * secret, the request's client and device facts, the time and the policy. Rules are applied in
 * this order, each a named function of `rules.ts`: timeouts, secret match (current, unconfirmed,
 * previous in grace, reused, never issued), binding, device binding, then the single write the
 * request may need (confirm, rotate, follow a move, step up, extend).
 */
import { compareBinding } from "../binding.js";
import { answer, type Decision, type PlannedEvent } from "../decision.js";
import { boundCookieMatches, deviceBindingOf, isDeviceBound } from "../device-binding.js";
import type { ResolvedPolicy } from "../options.js";
import type { InvalidReason, ValidateResultWithGuests } from "../results.js";
import { matchSecret, resendSecret, writeForCurrent, writeForResend } from "../rules.js";
import { guestView, type Session, sessionView, type UserRecord } from "../session.js";
import type { RevocationEpochs, SessionRecord, StoredClient } from "../store/record.js";
import { formatToken } from "../token.js";
import { liveUnder, policyOf } from "./policy.js";

/** What a check is for: a plain validate, a forced rotation, or a step-up. */
export type CheckMode = "validate" | "rotate" | "reauthenticate";

/**
 * Everything the decision reads besides the record and the time: the token the request
 * presented (parsed and hashed once, before any read), its client, what it shows for the
 * device-binding rule, and the policy. One flat object: it is built on every request.
 */
export interface ValidateFacts {
  /** The session id the token names. */
  id: string;
  /** The presented secret. */
  secret: string;
  /** `hashSecret(secret)`. */
  hash: string;
  client: StoredClient;
  /** The hash of the request's DBSC bound cookie; `null`: it carries none. */
  boundCookieHash: string | null;
  /**
   * The DBSC route this request is, or `"excluded"` for a path the device-bound session does not
   * cover (set by the gate for `excludePaths`): the only opt-outs of the device-binding rule, by
   * name.
   */
  dbscRoute: "registration" | "refresh" | "excluded" | null;
  mode: CheckMode;
  /** Every configured policy class by name: a record's settings are read from its class. */
  policies: ReadonlyMap<string, ResolvedPolicy>;
  /** The caller accepts a guest session (`validate(..., { guests: true })`). */
  guests: boolean;
  /**
   * The revocation epochs read with the record (`getWithEpochs`), or zeros for a store without
   * them. Set by the read, before the first decision.
   */
  epochs: RevocationEpochs;
}

/** No epoch ever raised (a store without epoch methods). */
export const NO_EPOCHS: RevocationEpochs = Object.freeze({ global: 0, user: 0 });

/**
 * Rule "revocation epochs": a record created before the global epoch (`revokeIssuedBefore`) or
 * its user's epoch (`revokeAll`) is dead.
 */
export function killedByEpoch(record: SessionRecord, epochs: RevocationEpochs): boolean {
  return record.createdAt < Math.max(epochs.global, epochs.user);
}

function refuse(
  reason: InvalidReason,
  events: PlannedEvent[] = [],
): Decision<ValidateResultWithGuests> {
  return answer({ ok: false, reason }, events);
}

/**
 * Rule "device-bound sessions need their bound cookie": a session whose browser registered a
 * DBSC key is accepted only with a live bound cookie, unless the request is a DBSC route (where
 * the key proof itself is checked) or an excluded path (where the browser does not renew the
 * bound cookie). Safe by default: a caller that says nothing is refused.
 */
export function deviceUnbound(
  record: SessionRecord,
  device: Pick<ValidateFacts, "boundCookieHash" | "dbscRoute">,
  at: number,
): boolean {
  if (device.dbscRoute !== null || !isDeviceBound(record)) return false;
  return !boundCookieMatches(deviceBindingOf(record), device.boundCookieHash, at);
}

/** Decides what a request presenting `facts.token` does to `record` at time `at`. */
export function decideValidate(
  record: SessionRecord | null,
  facts: ValidateFacts,
  at: number,
): Decision<ValidateResultWithGuests> {
  const { client, mode } = facts;
  if (!record) return refuse("not-found");
  const guest = record.userId === null;
  // Rule "a guest is never a logged-in user": a guest token is no session unless the caller
  // asked for guests, and never for a forced rotation or a step-up.
  if (guest && (!facts.guests || mode !== "validate")) return refuse("not-found");
  const policy = policyOf(record, facts.policies);
  if (policy === null) {
    // Its class is no longer configured: ended, not moved to another class.
    return {
      ...refuse("not-found", [
        { type: "session.revoked", record, client, detail: "policy-removed" },
      ]),
      action: "delete",
    };
  }
  if (!liveUnder(record, policy, at)) {
    return {
      ...refuse("expired", [{ type: "session.expired", record, client }]),
      action: "delete",
    };
  }
  if (killedByEpoch(record, facts.epochs)) {
    // Revoked in bulk: the record is only cleaned up here, the session ended when the epoch rose.
    return {
      ...refuse("not-found", [{ type: "session.revoked", record, client, detail: "epoch" }]),
      action: "delete",
    };
  }
  const match = matchSecret(record, facts.hash, at, policy.graceMs);
  if (match === "invalid") {
    return refuse("invalid-secret", [{ type: "session.invalid_secret", record, client }]);
  }
  if (match === "reused") {
    // Two parties hold this session: end it for both, the thief and the victim.
    const events: PlannedEvent[] = [
      { type: "session.reuse_detected", record, client },
      { type: "session.revoked", record, client, detail: "reuse" },
    ];
    return { ...refuse("reused", events), action: "delete" };
  }
  // Rule "guests are not bound": a guest has no user to protect, and no binding events.
  const verdict = guest ? "match" : compareBinding(policy.binding, record.client, client);
  if (verdict === "reject") {
    return refuse("binding-mismatch", [
      { type: "session.binding_mismatch", record, client, detail: "strict" },
    ]);
  }
  if (!guest && policy.requireDeviceBound && facts.dbscRoute === null && !isDeviceBound(record)) {
    // Rule "the class requires a device-bound session": only the DBSC routes (where the key is
    // registered) work until the browser registered one.
    return refuse("device-unbound", [
      { type: "session.dbsc_refused", record, client, detail: "device-binding-required" },
    ]);
  }
  if (deviceUnbound(record, facts, at)) {
    // The browser holding the key renews its bound cookie before sending; a request without
    // one is a copied session cookie (or a browser that gave up refreshing). Refused, the
    // session left as it is: the key holder goes on.
    return refuse("device-unbound", [
      { type: "session.dbsc_refused", record, client, detail: "missing-bound-cookie" },
    ]);
  }
  // A forced rotation must hand out a new secret, and one derived from a secret that was
  // already rotated away would retire the token the client holds now. Nothing changes.
  if (mode !== "validate" && match !== "current") return refuse("stale");
  const moved = verdict === "changed" ? client : null;

  if (match === "current") {
    const write = writeForCurrent(record, facts.secret, at, policy, mode, moved);
    if (!write) return answer(okResult(record, at, false, true, null));
    const events = movedEvents(record, moved);
    if (write.record.secretHash !== record.secretHash) {
      events.push({ type: "session.rotated", record: write.record, client, detail: mode });
    }
    if (mode === "reauthenticate") {
      events.push({ type: "session.reauthenticated", record: write.record, client });
    }
    const result = okResult(write.record, at, moved !== null, true, write.token);
    return { result, action: write.record, events };
  }

  // An earlier secret a client may still hold: a parallel request still carrying the secret
  // just rotated away (inside grace), or one whose response with the new cookie was lost
  // (unconfirmed: re-send the same token, however late).
  const steps = typeof match === "number" ? match : 0;
  const derived = steps > 0 ? resendSecret(record, facts.secret, steps) : null;
  if (steps > 0 && derived === null) {
    return refuse("invalid-secret", [{ type: "session.invalid_secret", record, client }]);
  }
  const resent = derived === null ? null : formatToken(record.id, derived);
  const next = writeForResend(record, at, policy, moved, steps);
  const after = next ?? record;
  // Freshness belongs to the current secret: the previous one is never fresh.
  return {
    result: okResult(after, at, moved !== null, false, resent),
    action: next,
    events: movedEvents(record, moved),
  };
}

/** The accepted answer: a user's session, or a guest's (a write keeps the record's user). */
function okResult(
  record: SessionRecord,
  at: number,
  bindingChanged: boolean,
  currentSecret: boolean,
  token: string | null,
): ValidateResultWithGuests {
  if (record.userId === null) return { ok: true, guest: guestView(record), session: null, token };
  const session: Session = sessionView(record as UserRecord, at, bindingChanged, currentSecret);
  return { ok: true, session, token };
}

/** The events a write starts with: the soft binding change it records, if any. */
function movedEvents(record: SessionRecord, moved: StoredClient | null): PlannedEvent[] {
  if (!moved) return [];
  return [{ type: "session.binding_mismatch", record, client: moved, detail: "soft" }];
}
