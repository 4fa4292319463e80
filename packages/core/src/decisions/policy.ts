/**
 * The policy decisions: which class's settings apply to a record (read at decision time, so a
 * changed class applies to its existing sessions), the per-user session limit, who may
 * impersonate whom, and what a guest's data becomes at login. Pure functions; `sessions.ts` does
 * the reads and writes they ask for.
 */
import type { PlannedEvent } from "../decision.js";
import { type ImpersonationRefusal, InvalidArgumentError, TesseraConfigError } from "../errors.js";
import type { ResolvedPolicy } from "../options.js";
import { isLive } from "../rules.js";
import type { SessionData } from "../session.js";
import type { SessionRecord } from "../store/record.js";

/**
 * Rule "settings come from the class": the class of `record`, or `null` when its class is no
 * longer configured. A session of a removed class is ended (never moved to a looser class: the
 * class may have been the strict one).
 */
export function policyOf(
  record: Pick<SessionRecord, "policy">,
  policies: ReadonlyMap<string, ResolvedPolicy>,
): ResolvedPolicy | null {
  return policies.get(record.policy) ?? null;
}

/**
 * Rule "a shortened class applies at once": whether `record` is still live under `policy`'s
 * timeouts as they are now. The stored expiries are kept from when they were written; a class
 * whose idle or absolute timeout was shortened since ends its sessions at the shorter one.
 */
export function liveUnder(record: SessionRecord, policy: ResolvedPolicy, at: number): boolean {
  return (
    isLive(record, at) &&
    at < record.createdAt + policy.absoluteMs &&
    at < record.lastActiveAt + policy.idleMs
  );
}

/** Rule "a login names a configured class": the class, or `TesseraConfigError` naming it. */
export function classNamed(
  name: unknown,
  policies: ReadonlyMap<string, ResolvedPolicy>,
  fallback: string,
): ResolvedPolicy {
  if (name === undefined) return policies.get(fallback) as ResolvedPolicy;
  const policy = typeof name === "string" ? policies.get(name) : undefined;
  if (!policy) {
    throw new TesseraConfigError(
      `unknown policy class ${JSON.stringify(name)}: configure it in createSessions({ policies })`,
    );
  }
  return policy;
}

/** Oldest first: by `createdAt`, then by id (a total order every process agrees on). */
export function limitOrder(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** What the session limit makes of a user's sessions after one login. */
export interface LimitDecision {
  /** Sessions to end, oldest first. */
  evict: SessionRecord[];
  /** The login's own session is among them: the login fails with `SessionLimitError`. */
  ownEvicted: boolean;
  /** The `session.limit_evicted` event, when any is ended. */
  events: PlannedEvent[];
}

/**
 * Rule "session limit": after a login of a limited class inserted `own`, of the user's live
 * sessions of that class (as listed after the insert) the N kept are the newest (`evict-oldest`)
 * or the oldest (`refuse`) by `(createdAt, id)`; the rest are ended. Every login that sees more
 * than N ends the same ones, so parallel logins converge on exactly N with nothing but
 * create, list and delete: the N kept are never ended by anyone.
 */
export function decideLimit(
  listed: readonly SessionRecord[],
  own: SessionRecord,
  policy: ResolvedPolicy,
  at: number,
): LimitDecision {
  const limit = policy.limit;
  if (!limit) return { evict: [], ownEvicted: false, events: [] };
  const mine = new Map<string, SessionRecord>();
  for (const record of listed) {
    if (record.userId === own.userId && record.policy === policy.name && isLive(record, at)) {
      mine.set(record.id, record);
    }
  }
  mine.set(own.id, own); // a store's list may lag its own insert; the login counts regardless
  const ordered = [...mine.values()].sort(limitOrder);
  const evict =
    limit.when === "refuse"
      ? ordered.slice(limit.perUser)
      : ordered.slice(0, Math.max(0, ordered.length - limit.perUser));
  const events: PlannedEvent[] =
    evict.length === 0
      ? []
      : [
          {
            type: "session.limit_evicted",
            record: null,
            client: null,
            sessionId: null,
            userId: own.userId ?? undefined,
            detail: policy.name,
            count: evict.length,
            sessionIds: evict.map((record) => record.id),
          },
        ];
  return { evict, ownEvicted: evict.some((record) => record.id === own.id), events };
}

/** What `impersonate` knows before it decides. */
export interface ImpersonationFacts {
  /** The admin's session record as read now, or `null` when it is gone. */
  admin: SessionRecord | null;
  /** The admin's user id as the caller's session said. */
  adminUserId: string;
  targetUserId: string;
  /** `canImpersonate(admin)`; `false` when not configured. */
  adminMay: boolean;
  /** `canImpersonate(target)`; only asked when admin targets are not allowed. */
  targetMay: boolean;
  allowAdminTargets: boolean;
  at: number;
}

/**
 * Rules "impersonation": refused from an impersonation session (no chains), for an admin
 * `canImpersonate` does not allow (not configured = nobody), for a target who may impersonate
 * too (unless `allowAdminTargets`), for oneself, and from a session that is no longer live.
 * `null`: allowed.
 */
export function impersonationRefusal(facts: ImpersonationFacts): ImpersonationRefusal | null {
  const { admin } = facts;
  if (!admin || admin.userId !== facts.adminUserId || !isLive(admin, facts.at)) {
    return "admin-session-ended";
  }
  if (admin.impersonatedBy !== null) return "nested";
  if (!facts.adminMay) return "not-allowed";
  if (facts.targetUserId === facts.adminUserId) return "self";
  if (facts.targetMay && !facts.allowAdminTargets) return "admin-target";
  return null;
}

/** Rule "an impersonation says why": the reason, trimmed, or `InvalidArgumentError`. */
export function checkReason(reason: unknown): string {
  if (typeof reason !== "string" || reason.trim() === "" || reason.length > 500) {
    throw new InvalidArgumentError("impersonate needs { reason }: a non-empty string (<= 500)");
  }
  return reason.trim();
}

/** How a guest's data and the login's are combined (`upgrade`'s `merge`). */
export type GuestMerge = (guestData: SessionData, loginData: SessionData) => SessionData;

/**
 * Rule "a guest's data carries over": by default the guest data shallow-merged under the login
 * data (the login wins on a shared key), or what `merge` makes of both.
 */
export function upgradedData(
  guestData: SessionData,
  loginData: SessionData | undefined,
  merge: GuestMerge | undefined,
): SessionData {
  const login = (loginData ?? {}) as SessionData;
  if (merge) return merge(structuredClone(guestData), structuredClone(login));
  return { ...guestData, ...login } as SessionData;
}
