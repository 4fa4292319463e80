/**
 * Both ends of revocation push. The issuer turns `session.revoked` events into revocations on a
 * feed (`revocationPublisher`); a verifier keeps what it hears in a bounded deny-list
 * (`subscribeRevocations`) and refuses those sessions' tokens with no call per request. When it
 * cannot trust the list (feed lost, list overflowed, a revoke-all without ids), it asks the store.
 */
import { StoreUnavailableError, TesseraConfigError } from "@tessera/core";
import { isTesseraError } from "./errors.js";
import type { Revocation, RevocationFeed, RevocationSubscription } from "./feed.js";
import type { RevocationCheck, Verifier, VerifyOptions, VerifyResult } from "./verifier.js";

/** The part of a Tessera event the publisher reads (core's `SessionEvent`, and its `sessionIds`). */
export interface RevocationEvent {
  type: string;
  sessionId: string | null;
  userId: string | null;
  at: Date;
  /** For a revoke-all: the sessions it ended. */
  sessionIds?: readonly string[];
}

/** Options of `revocationPublisher`. */
export interface RevocationPublisherOptions {
  feed: RevocationFeed;
  /** Lifetime of the access tokens in seconds: `tokens.ttl` of `createAccessTokens`. */
  ttl: number;
  /** Called when a publish fails (the feed is down): log it and alert; verifiers will not hear of it. */
  onError?: (error: unknown, revocation: Revocation) => void;
}

/**
 * An `onEvent` handler that publishes every ended session: `createSessions({ onEvent:
 * revocationPublisher({ feed, ttl: tokens.ttl }) })`. It never throws and never delays the
 * lifecycle call; a failed publish goes to `onError`.
 */
export function revocationPublisher(
  options: RevocationPublisherOptions,
): (event: RevocationEvent) => void {
  if (!options || typeof options.feed?.publish !== "function") {
    throw new TesseraConfigError("revocationPublisher needs { feed, ttl }");
  }
  const { feed, ttl, onError } = options;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
    throw new TesseraConfigError(
      "revocationPublisher: ttl must be the tokens' lifetime in seconds",
    );
  }
  return (event) => {
    if (event?.type !== "session.revoked" || !(event.at instanceof Date)) return;
    const revokedAt = event.at.getTime();
    const listed = Array.isArray(event.sessionIds) ? [...event.sessionIds] : null;
    const sessionIds = listed ?? (event.sessionId ? [event.sessionId] : []);
    // A revoke-all from a core that does not name the sessions: fall back to the user.
    const userIds = listed === null && !event.sessionId && event.userId ? [event.userId] : [];
    if (sessionIds.length === 0 && userIds.length === 0) return;
    const revocation: Revocation = {
      sessionIds,
      ...(userIds.length > 0 ? { userIds } : {}),
      revokedAt,
      until: revokedAt + ttl * 1000,
    };
    feed.publish(revocation).then(undefined, (error: unknown) => {
      try {
        onError?.(error, revocation);
      } catch {
        // The error sink failing must not become an unhandled rejection.
      }
    });
  };
}

/** Options of `subscribeRevocations`. */
export interface RevocationListOptions {
  feed: RevocationFeed;
  /**
   * The store check used when the list cannot be trusted, and for every sensitive call
   * (`checkRevocation: true`): e.g. `sessionRevocation(sessions)`.
   */
  isRevoked?: RevocationCheck;
  /**
   * When the list cannot be trusted and the store check fails too, ordinary calls are accepted on
   * the list alone (a token lives at most its `ttl`, as without push). `true` refuses them as well
   * (`StoreUnavailableError`, answer 503). Sensitive calls are always refused then.
   * @defaultValue false
   */
  failClosed?: boolean;
  /**
   * Sessions remembered at most. Past it the oldest entry is dropped and, until that entry would
   * have expired, every token is checked against the store.
   * @defaultValue 100000
   */
  maxEntries?: number;
  /** Seconds added to each entry's `until`, for clocks that disagree. @defaultValue 30 */
  clockTolerance?: number;
  /** Clock in milliseconds. @defaultValue `Date.now` */
  now?: () => number;
}

/** A verifier's view of the feed: the deny-list and the state of its subscription. */
export interface RevocationList {
  /** `live` when connected and caught up; `lost` while revocations may be missed. */
  readonly status: "live" | "lost";
  /** Sessions currently denied. */
  readonly size: number;
  /** Whether tokens of `sessionId` are refused by the list (no I/O). */
  denies(sessionId: string): boolean;
  /** Wraps a verifier so that every `verify` also consults the list (and the store when unsure). */
  protect(verifier: Verifier): Verifier;
  /** Stops listening. */
  close(): Promise<void>;
}

interface Entry {
  until: number;
}

/**
 * Subscribes to the feed and resolves with the deny-list once the first connection attempt is
 * over (live, or lost with the store as fallback: a verifier starts even while the feed is down).
 *
 * @example
 * ```ts
 * const revocations = await subscribeRevocations({ feed, isRevoked: sessionRevocation(sessions) });
 * const verifier = revocations.protect(createVerifier({ jwksUrl, issuer, audience }));
 * ```
 */
export async function subscribeRevocations(
  options: RevocationListOptions,
): Promise<RevocationList> {
  if (!options || typeof options.feed?.subscribe !== "function") {
    throw new TesseraConfigError("subscribeRevocations needs { feed }");
  }
  const { isRevoked, failClosed = false } = options;
  if (isRevoked !== undefined && typeof isRevoked !== "function") {
    throw new TesseraConfigError("isRevoked must be a function (sid, claims) => boolean");
  }
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TesseraConfigError("maxEntries must be a positive integer");
  }
  const toleranceMs = (options.clockTolerance ?? 30) * 1000;
  if (!Number.isFinite(toleranceMs) || toleranceMs < 0) {
    throw new TesseraConfigError("clockTolerance must be a number of seconds >= 0");
  }
  const now = options.now ?? Date.now;

  // Insertion order is close to expiry order (until = revocation time + a fixed lifetime), so
  // expired entries are dropped from the front.
  const sessions = new Map<string, Entry>();
  const users = new Map<string, { revokedAt: number; until: number }>();
  let status: "live" | "lost" = "lost";
  /** While in the future, entries were dropped before their time: the list may miss some. */
  let overflowUntil = 0;

  function prune(at: number) {
    for (const [id, entry] of sessions) {
      if (entry.until > at) break;
      sessions.delete(id);
    }
    for (const [id, entry] of users) if (entry.until <= at) users.delete(id);
  }

  function remember(sessionId: string, until: number) {
    const existing = sessions.get(sessionId);
    if (existing) {
      existing.until = Math.max(existing.until, until);
      return;
    }
    if (sessions.size >= maxEntries) {
      const [oldestId, oldest] = sessions.entries().next().value as [string, Entry];
      sessions.delete(oldestId);
      overflowUntil = Math.max(overflowUntil, oldest.until);
    }
    sessions.set(sessionId, { until });
  }

  const subscription: RevocationSubscription = await options.feed.subscribe({
    revoked(revocation) {
      const at = now();
      prune(at);
      const until = revocation.until + toleranceMs;
      if (until <= at) return;
      for (const sessionId of revocation.sessionIds) remember(sessionId, until);
      for (const userId of revocation.userIds ?? []) {
        const previous = users.get(userId);
        users.set(userId, {
          revokedAt: Math.max(previous?.revokedAt ?? 0, revocation.revokedAt),
          until: Math.max(previous?.until ?? 0, until),
        });
      }
    },
    status(state) {
      status = state;
    },
  });

  function denies(sessionId: string): boolean {
    const entry = sessions.get(sessionId);
    return entry !== undefined && entry.until > now();
  }

  /** Whether the list alone cannot answer for this token. */
  function unsure(sub: string, iat: number): boolean {
    if (status !== "live" || overflowUntil > now()) return true;
    const user = users.get(sub);
    // Seconds against milliseconds: a token from the same second as the revoke-all is checked.
    return user !== undefined && user.until > now() && iat * 1000 <= user.revokedAt + 999;
  }

  function protect(verifier: Verifier): Verifier {
    if (!verifier || typeof verifier.verify !== "function") {
      throw new TesseraConfigError("protect needs a verifier from createVerifier");
    }
    async function verify(token: unknown, verifyOptions?: VerifyOptions): Promise<VerifyResult> {
      const result = await verifier.verify(token);
      if (!result.ok) return result;
      const { sid, sub, iat } = result.claims;
      if (denies(sid)) return { ok: false, reason: "revoked" };
      const sensitive = verifyOptions?.checkRevocation === true;
      if (!sensitive && !unsure(sub, iat)) return result;
      if (!isRevoked) {
        if (sensitive) {
          throw new TesseraConfigError("checkRevocation needs subscribeRevocations({ isRevoked })");
        }
        if (failClosed) throw new StoreUnavailableError("the revocation feed is unavailable");
        return result;
      }
      let revoked: boolean;
      try {
        revoked = (await isRevoked(sid, result.claims)) !== false;
      } catch (cause) {
        if (!sensitive && !failClosed) return result;
        if (isTesseraError(cause, "store-unavailable")) throw cause;
        throw new StoreUnavailableError("the revocation check failed", { cause });
      }
      if (!revoked) return result;
      remember(sid, result.claims.exp * 1000 + toleranceMs);
      return { ok: false, reason: "revoked" };
    }
    return { verify, algorithms: verifier.algorithms };
  }

  return {
    get status() {
      return status;
    },
    get size() {
      prune(now());
      return sessions.size;
    },
    denies,
    protect,
    close: () => subscription.close(),
  };
}
