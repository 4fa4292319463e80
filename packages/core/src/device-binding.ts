/**
 * Device-bound session credentials (DBSC), as rules on the record: which challenges a browser
 * may answer, which short-lived bound cookies are live. Pure functions of a record and a clock;
 * the signatures are checked by `@tessera/dbsc` (with `jose`) before any of this runs, so core
 * stays free of JOSE. The long-lived session stays the source of truth: the DBSC state lives in
 * its record and dies with it (revoke, revoke-all, expiry).
 */
import type {
  SessionRecord,
  StoredBoundCookie,
  StoredChallenge,
  StoredDeviceBinding,
} from "./store/record.js";
import { secretHashMatches } from "./token.js";

/** Challenges kept answerable at once: the newest and the one before (a refresh may race a new one). */
export const CHALLENGES_KEPT = 2;
/** Answered challenges remembered to tell a replay from an unknown challenge. */
export const SPENT_KEPT = 4;
/** Bound cookies accepted at once: the newest and the previous (requests in flight at a refresh). */
export const BOUND_COOKIES_KEPT = 2;

/** Why a challenge answer is refused, or `"ok"`. */
export type ChallengeVerdict =
  | "ok"
  | "unknown-challenge"
  | "expired-challenge"
  | "replayed-challenge";

const EMPTY: StoredDeviceBinding = {
  key: null,
  challenges: [],
  spent: [],
  cookies: [],
  registeredAt: null,
};

/** The record's DBSC state, or an empty one (records written before DBSC have none). */
export function deviceBindingOf(record: SessionRecord): StoredDeviceBinding {
  return record.dbsc ?? EMPTY;
}

/** Whether a key was registered: from then on, requests need a live bound cookie. */
export function isDeviceBound(record: SessionRecord): boolean {
  return record.dbsc?.key != null;
}

const live = (now: number) => (entry: StoredChallenge | StoredBoundCookie) => entry.expiresAt > now;

/** The state with a new challenge answerable until `now + ttlMs`; expired ones are dropped. */
export function addChallenge(
  binding: StoredDeviceBinding,
  value: string,
  now: number,
  ttlMs: number,
): StoredDeviceBinding {
  const challenges = [{ value, expiresAt: now + ttlMs }, ...binding.challenges.filter(live(now))];
  return { ...binding, challenges: challenges.slice(0, CHALLENGES_KEPT) };
}

/**
 * The newest challenge still answerable at `now`, or `null`. A request that cannot prove the key
 * (a refresh without a proof, a registration offered again) is handed this one instead of a new
 * challenge: adding one would push out the challenge the real browser cached, and anyone holding
 * only the long-lived cookie could make its next refresh fail.
 */
export function liveChallenge(binding: StoredDeviceBinding, now: number): string | null {
  for (const challenge of binding.challenges) if (challenge.expiresAt > now) return challenge.value;
  return null;
}

/**
 * Judges the challenge a proof signed (its `jti`): answerable once, before its expiry. A
 * challenge answered before is a replay, whatever its age.
 */
export function judgeChallenge(
  binding: StoredDeviceBinding,
  value: string,
  now: number,
): ChallengeVerdict {
  if (binding.spent.includes(value)) return "replayed-challenge";
  const found = binding.challenges.find((challenge) => challenge.value === value);
  if (!found) return "unknown-challenge";
  return found.expiresAt > now ? "ok" : "expired-challenge";
}

/** The state after `value` was answered: no longer answerable, remembered as spent. */
export function spendChallenge(binding: StoredDeviceBinding, value: string): StoredDeviceBinding {
  return {
    ...binding,
    challenges: binding.challenges.filter((challenge) => challenge.value !== value),
    spent: [value, ...binding.spent.filter((spent) => spent !== value)].slice(0, SPENT_KEPT),
  };
}

/** The state with a new bound cookie (its hash) live until `expiresAt`. */
export function addBoundCookie(
  binding: StoredDeviceBinding,
  hash: string,
  expiresAt: number,
  now: number,
): StoredDeviceBinding {
  const cookies = [{ hash, expiresAt }, ...binding.cookies.filter(live(now))];
  return { ...binding, cookies: cookies.slice(0, BOUND_COOKIES_KEPT) };
}

/**
 * Whether a request may use a device-bound session: it carries a bound cookie (by hash) that
 * the key holder was issued and that has not expired. Compared in constant time.
 */
export function boundCookieMatches(
  binding: StoredDeviceBinding,
  presentedHash: string | null,
  now: number,
): boolean {
  if (presentedHash === null) return false;
  let matched = false;
  for (const cookie of binding.cookies) {
    if (secretHashMatches(presentedHash, cookie.hash) && cookie.expiresAt > now) matched = true;
  }
  return matched;
}
