/**
 * Every lifecycle rule as a pure function over a record, in one place: which secret
 * a request presented, whether a rotation is due and how it is made, the idle extension, a soft
 * client move, freshness and step-up. `sessions.ts` only orders these decisions and does the
 * I/O; each rule has a test named after it in test/rules.test.ts.
 */
import type { SessionRecord, StoredClient } from "./store/record.js";
import {
  deriveRotatedSecret,
  formatToken,
  generateRotationNonce,
  hashSecret,
  isStepUpNonce,
  nonceChain,
  secretHashMatches,
  storedNonceChain,
} from "./token.js";

export { endOf, isLive } from "./store/liveness.js";

/** The timing policy of a session manager, in milliseconds. */
export interface Policy {
  idleMs: number;
  intervalMs: number;
  graceMs: number;
  freshMs: number;
}

/** Older secrets remembered for reuse detection beyond the previous one. */
export const RETIRED_SECRETS_KEPT = 3;

/**
 * Unconfirmed rotations kept chained at most. A step-up on top of an unconfirmed rotation adds
 * a link rather than confirming it: it is no proof that the client holds the current secret (an
 * integration hands it the token it was about to re-send), and a lost step-up response must not
 * retire the cookie the browser still holds.
 */
export const UNCONFIRMED_CHAIN_KEPT = 3;

/**
 * How a presented secret relates to the record (rules "rotation", "unconfirmed rotation", "reuse detection"). A number: the secret precedes
 * the current one by that many unconfirmed rotations, so it is re-sent the current one.
 */
export type SecretMatch = "current" | number | "previous" | "reused" | "invalid";

/**
 * rules "rotation", "unconfirmed rotation", "reuse detection": the current secret; one a client may still hold (an unconfirmed rotation, however
 * late, or the previous secret inside grace after confirmation); a retired one (theft); or a
 * secret never issued. `presentedHash` is `hashSecret` of the presented secret.
 */
export function matchSecret(
  record: SessionRecord,
  presentedHash: string,
  at: number,
  graceMs: number,
): SecretMatch {
  if (secretHashMatches(presentedHash, record.secretHash)) return "current";
  const unconfirmed = nonceChain(record.rotationNonce).length;
  const earlier = [record.previousSecretHash, ...record.retiredSecretHashes];
  for (let back = 0; back < earlier.length; back++) {
    if (!secretHashMatches(presentedHash, earlier[back] ?? null)) continue;
    // No request has presented the newer secret yet: nothing shows a second party.
    if (back < unconfirmed) return back + 1;
    if (back === 0) return at - record.rotatedAt < graceMs ? "previous" : "reused";
    return "reused";
  }
  return "invalid";
}

/**
 * rule "unconfirmed rotation": the current secret, derived from a secret `steps` unconfirmed rotations back, or
 * `null` if the derivation does not land on the stored hash (the record changed under us).
 */
export function resendSecret(record: SessionRecord, secret: string, steps: number): string | null {
  let derived = secret;
  for (const nonce of nonceChain(record.rotationNonce).slice(-steps)) {
    derived = deriveRotatedSecret(derived, nonce);
  }
  return secretHashMatches(hashSecret(derived), record.secretHash) ? derived : null;
}

/**
 * rule "unconfirmed rotation": presenting the new secret confirms its delivery. The previous secret's grace and
 * the next interval run from the confirmation, not from the rotation: tabs that still carry it
 * after a long unconfirmed pause are requests in flight, not thieves.
 */
export function confirmRotation(draft: SessionRecord, at: number): void {
  draft.rotationNonce = null;
  draft.rotatedAt = at;
}

/** rule "rotation": a rotation is due when `intervalMs` has passed since the last one (0: always). */
export function rotationDue(rotatedAt: number, at: number, intervalMs: number): boolean {
  return at - rotatedAt >= intervalMs;
}

/**
 * rules "rotation", "unconfirmed rotation": issues a new secret derived from the presented one and a fresh nonce (so every
 * holder of the previous secret can be re-sent it while unconfirmed), keeps the previous hash for
 * grace and a short ring of retired ones for reuse detection. Resolves the new token.
 */
export function rotateSecret(
  draft: SessionRecord,
  record: SessionRecord,
  secret: string,
  at: number,
  stepUp: boolean,
): string {
  const nonce = generateRotationNonce(stepUp);
  const newSecret = deriveRotatedSecret(secret, nonce);
  const chain = stepUp ? nonceChain(record.rotationNonce) : [];
  draft.retiredSecretHashes = [record.previousSecretHash, ...record.retiredSecretHashes]
    .filter((hash): hash is string => hash !== null)
    .slice(0, RETIRED_SECRETS_KEPT);
  draft.previousSecretHash = record.secretHash;
  draft.secretHash = hashSecret(newSecret);
  draft.rotationNonce = storedNonceChain([...chain, nonce].slice(-UNCONFIRMED_CHAIN_KEPT));
  draft.rotatedAt = at;
  return formatToken(record.id, newSecret);
}

/**
 * rules "hot path" and "timeouts": the new idle expiry, or `null`. Written only when less than half the window
 * remains (or along with another write), which keeps the hot path at one read at the cost of
 * half-window accuracy; never past the absolute expiry.
 */
export function idleExtension(
  record: SessionRecord,
  at: number,
  idleMs: number,
  writing: boolean,
): number | null {
  const extended = Math.min(at + idleMs, record.absoluteExpiresAt);
  if (extended <= record.expiresAt) return null;
  return writing || record.expiresAt - at < idleMs / 2 ? extended : null;
}

/**
 * rule "binding": records a soft binding change so it is reported once: the fields the request
 * supplied replace the recorded ones, a field it lacks keeps its value (omitting a header must
 * not switch a binding off), and freshness ends (a moved client must step up again).
 */
export function followClient(
  draft: SessionRecord,
  record: SessionRecord,
  moved: StoredClient,
  at: number,
): void {
  draft.client = { ...record.client, ...moved };
  draft.freshUntil = Math.min(record.freshUntil, at);
}

/** rule "freshness": a completed step-up (or login) makes the session fresh for `freshMs`. */
export function stepUp(draft: SessionRecord, record: SessionRecord, at: number, freshMs: number) {
  draft.authenticatedAt = at;
  draft.freshUntil = Math.min(at + freshMs, record.absoluteExpiresAt);
}

/**
 * rules "freshness" and "impersonation is never fresh": whether the session is fresh for a
 * request. Freshness belongs to the current secret: a request presenting an earlier one is never
 * fresh. An impersonation session is never fresh, whatever its record says: an admin acting as a
 * user must not pass that user's sensitive-action checks.
 */
export function isFresh(record: SessionRecord, at: number, presentedCurrent: boolean): boolean {
  return presentedCurrent && record.impersonatedBy === null && at < record.freshUntil;
}

/**
 * rule "freshness": a secret from before a step-up exchanged for the stepped-up one (a lost response,
 * or a copy taken before the step-up) ends the step-up's freshness: the copy must never inherit
 * it. Whether any of the `steps` skipped rotations was a step-up.
 */
export function skipsStepUp(record: SessionRecord, steps: number): boolean {
  return nonceChain(record.rotationNonce).slice(-steps).some(isStepUpNonce);
}

/** What a request may need written: the next record and the token to send, if any. */
export interface PlannedWrite {
  record: SessionRecord;
  token: string | null;
}

/**
 * The single write a request presenting the current secret may need, in rule order: confirm an
 * unconfirmed rotation, rotate when due (or forced), follow a soft client move, step up, extend
 * the idle expiry. `null` when nothing is due: the hot path.
 */
export function writeForCurrent(
  record: SessionRecord,
  secret: string,
  at: number,
  policy: Policy,
  mode: "validate" | "rotate" | "reauthenticate",
  moved: StoredClient | null,
): PlannedWrite | null {
  // `next` is the copy being written, made on the first change (no closure: this runs on every
  // validate, and most change nothing).
  let next: SessionRecord | null = null;
  let token: string | null = null;
  const stepping = mode === "reauthenticate";
  const confirming = !stepping && record.rotationNonce !== null;
  if (confirming) {
    next = changed(next, record);
    confirmRotation(next, at);
  }
  const rotatedAt = confirming ? at : record.rotatedAt;
  if (mode !== "validate" || rotationDue(rotatedAt, at, policy.intervalMs)) {
    next = changed(next, record);
    token = rotateSecret(next, record, secret, at, stepping);
  }
  if (moved) {
    next = changed(next, record);
    followClient(next, record, moved, at);
  }
  // After the move: the credentials were just checked on this very client.
  if (stepping) {
    next = changed(next, record);
    stepUp(next, record, at, policy.freshMs);
  }
  const extended = idleExtension(record, at, policy.idleMs, next !== null);
  if (extended !== null) {
    next = changed(next, record);
    next.expiresAt = extended;
    token ??= formatToken(record.id, secret); // re-send the cookie so its Max-Age follows
  }
  if (next === null) return null;
  next.lastActiveAt = at;
  return { record: next, token };
}

/** The copy of `record` being written: `next` once made, else a new one (its next version). */
function changed(next: SessionRecord | null, record: SessionRecord): SessionRecord {
  return next ?? { ...record, version: record.version + 1 };
}

/**
 * The write a request presenting the secret of an unconfirmed rotation (`steps` back) may need:
 * never a rotation (that would retire the new secret, which may already sit in a cookie jar),
 * only a soft client move, the end of a skipped step-up's freshness, and the idle extension.
 */
export function writeForResend(
  record: SessionRecord,
  at: number,
  policy: Policy,
  moved: StoredClient | null,
  steps: number,
): SessionRecord | null {
  let next: SessionRecord | null = null;
  if (moved) {
    next = changed(next, record);
    followClient(next, record, moved, at);
  }
  if (skipsStepUp(record, steps) && record.freshUntil > at) {
    next = changed(next, record);
    next.freshUntil = at;
  }
  const extended = idleExtension(record, at, policy.idleMs, next !== null);
  if (extended !== null) {
    next = changed(next, record);
    next.expiresAt = extended;
  }
  if (next === null) return null;
  next.lastActiveAt = at;
  return next;
}
