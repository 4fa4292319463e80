/**
 * Revocation push, the contract: the issuer publishes the ids of ended sessions on a feed; every
 * verifier subscribed to it learns them within a moment, without a call per request. Redis is
 * the first implementation (`@tessera/access-token/redis`); anything with publish/subscribe and
 * a short replay log can be another.
 */

/** Sessions ended at one moment (one revoke, one revoke-all, one theft detection). */
export interface Revocation {
  /** The sessions that ended: their access tokens must be refused. */
  sessionIds: string[];
  /**
   * Users all of whose sessions ended without the ids being known (a revoke-all event from a core
   * that does not list them). Their tokens issued up to `revokedAt` are checked against the store.
   */
  userIds?: string[];
  /** When the sessions ended, epoch milliseconds. */
  revokedAt: number;
  /**
   * Epoch milliseconds after which no access token of these sessions can still be valid (the
   * revocation time plus the tokens' lifetime): verifiers forget the entry then.
   */
  until: number;
}

/** What a subscriber hears from a feed. */
export interface RevocationListener {
  /**
   * A revocation, live or replayed on catch-up. The same one may arrive twice (live and in the
   * replay): handling must be idempotent.
   */
  revoked(revocation: Revocation): void;
  /**
   * `live`: connected and caught up, nothing is being missed. `lost`: the connection is down (or
   * catching up has not finished), revocations published now may not have arrived yet.
   */
  status(state: "live" | "lost"): void;
}

/** A subscription to stop. */
export interface RevocationSubscription {
  close(): Promise<void>;
}

/**
 * A channel for revocations. `publish` reaches every current subscriber and is kept in a replay
 * log for at least the tokens' lifetime; `subscribe` replays the log (all of it at first, from
 * where it stopped after a reconnect) and then delivers live.
 */
export interface RevocationFeed {
  publish(revocation: Revocation): Promise<void>;
  /** Resolves once the first connection attempt is over, live or lost: a verifier starts either way. */
  subscribe(listener: RevocationListener): Promise<RevocationSubscription>;
}

const ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
const MAX_IDS = 100_000;

function ids(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length > MAX_IDS) return null;
  return value.every((id) => typeof id === "string" && ID_PATTERN.test(id)) ? value : null;
}

/** Reads a revocation from the wire, or `null` when it is not one (never trusted blindly). */
export function parseRevocation(text: string): Revocation | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const raw = value as Record<string, unknown>;
  const sessionIds = ids(raw["sessionIds"]);
  const userIds = raw["userIds"] === undefined ? [] : ids(raw["userIds"]);
  const { revokedAt, until } = raw;
  if (!sessionIds || !userIds) return null;
  if (typeof revokedAt !== "number" || typeof until !== "number" || !(until >= revokedAt)) {
    return null;
  }
  return { sessionIds, ...(userIds.length > 0 ? { userIds } : {}), revokedAt, until };
}
