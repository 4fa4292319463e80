/**
 * The verifier's end of revocation push: `subscribeRevocations` checks every message of the feed
 * (signature, key id, sequence), keeps what it hears in a bounded deny-list and refuses those
 * sessions' tokens with no call per request. When it cannot trust the list (feed lost, no
 * publisher heard within its heartbeat bound, a missed revocation, list overflowed, a revoke-all
 * without ids), it asks the store. The issuer's end is in `revocation-publisher.ts`.
 */
import { StoreUnavailableError, TesseraConfigError } from "@tessera/core";
import { isTesseraError } from "./errors.js";
import type { Revocation, RevocationFeed, RevocationSubscription } from "./feed.js";
import type { AccessTokenJwk } from "./keys.js";
import { type RevocationRejectReason, readRevocationKeys } from "./revocation-message.js";
import type { RevocationCheck, Verifier, VerifyOptions, VerifyResult } from "./verifier.js";

/** Options of `subscribeRevocations`. */
export interface RevocationListOptions {
  feed: RevocationFeed;
  /**
   * The revocation keys shared with the issuer (HS256 JWKs, the same list as the publisher's or
   * only their `kid`s and secrets): a message signed with any of them is accepted, any other is
   * refused. During a rotation hold the old and the new key.
   */
  keys: ReadonlyArray<AccessTokenJwk | string>;
  /**
   * The store check used when the list cannot be trusted, and for every sensitive call
   * (`checkRevocation: true`): e.g. `sessionRevocation(sessions)`.
   */
  isRevoked?: RevocationCheck;
  /**
   * Lifetime of the access tokens in seconds (the issuer's `tokens.ttl`). No entry is kept longer
   * than this plus `clockTolerance` after it arrives, whatever a message says, and a token that
   * lives longer than this is checked against the store.
   * @defaultValue 300
   */
  ttl?: number;
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
  /**
   * Called for every message refused (never applied): not signed, signed with an unknown `kid`,
   * a signature that does not match, or not a revocation message. Count it and alert: someone
   * who is not the issuer is writing to the feed, or a key is missing here.
   */
  onRejected?: (reason: RevocationRejectReason) => void;
  /** Clock in milliseconds. @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Why the list is not trusted right now (every `verify` then asks the store):
 * `feed-lost` (disconnected or catching up), `no-publisher` (no publisher heard from),
 * `publisher-silent` (a known publisher missed its heartbeat bound), `missed-revocation` (a
 * publisher's revocation count jumped, or it said it could not publish one: until the tokens
 * concerned have expired).
 */
export type RevocationDistrustReason =
  | "feed-lost"
  | "no-publisher"
  | "publisher-silent"
  | "missed-revocation";

/** A verifier's view of the feed: the deny-list and the state of its subscription. */
export interface RevocationList {
  /**
   * `live` when connected, caught up and hearing every known publisher's heartbeat with no
   * revocation missed; `lost` while revocations may be missed (then the store is asked).
   */
  readonly status: "live" | "lost";
  /** Why `status` is `lost`, or `null` when live. */
  readonly reason: RevocationDistrustReason | null;
  /** Publishers heard from and not gone (their heartbeat is expected). */
  readonly publishers: number;
  /** Messages refused so far, by reason. */
  readonly rejected: Readonly<Record<RevocationRejectReason, number>>;
  /** Sessions currently denied. */
  readonly size: number;
  /** Whether tokens of `sessionId` are refused by the list (no I/O). */
  denies(sessionId: string): boolean;
  /** Wraps a verifier so that every `verify` also consults the list (and the store when unsure). */
  protect(verifier: Verifier): Verifier;
  /** Resolves once every message heard so far has been checked and applied (or refused). */
  settled(): Promise<void>;
  /** Stops listening. */
  close(): Promise<void>;
}

interface Entry {
  until: number;
}

/** What the list knows of one publisher. */
interface PublisherState {
  /** Highest message number applied. */
  n: number;
  /** Revocations it had signed as of that message. */
  revoked: number;
  /** Its heartbeat interval (ms), from its last message. */
  every: number;
  /** When it was last heard: arrival of a fresh message (local clock), or an old one's `at`. */
  heardAt: number;
}

/**
 * Subscribes to the feed and resolves with the deny-list once the first connection attempt is
 * over and what it read has been checked (live, or lost with the store as fallback: a verifier
 * starts even while the feed is down).
 *
 * A publisher heard from is expected again within twice its heartbeat interval (10 s with the
 * default 5 s); past that the list is `lost` until it is heard again. One silent for longer than
 * that plus `ttl` and `clockTolerance` is forgotten (a crashed instance); one that says goodbye
 * (`close()`) at once. With no publisher left, the list is `lost` too.
 *
 * @example
 * ```ts
 * const revocations = await subscribeRevocations({
 *   feed, keys: [revocationKey], isRevoked: sessionRevocation(sessions),
 * });
 * const verifier = revocations.protect(createVerifier({ jwksUrl, issuer, audience }));
 * ```
 * @throws TesseraConfigError without a feed or HS256 `keys`, or with options out of range.
 */
export async function subscribeRevocations(
  options: RevocationListOptions,
): Promise<RevocationList> {
  if (!options || typeof options.feed?.subscribe !== "function") {
    throw new TesseraConfigError("subscribeRevocations needs { feed, keys }");
  }
  const keyring = readRevocationKeys(options.keys, "subscribeRevocations");
  const { isRevoked, failClosed = false, onRejected } = options;
  if (isRevoked !== undefined && typeof isRevoked !== "function") {
    throw new TesseraConfigError("isRevoked must be a function (sid, claims) => boolean");
  }
  if (onRejected !== undefined && typeof onRejected !== "function") {
    throw new TesseraConfigError("onRejected must be a function");
  }
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TesseraConfigError("maxEntries must be a positive integer");
  }
  const toleranceMs = (options.clockTolerance ?? 30) * 1000;
  if (!Number.isFinite(toleranceMs) || toleranceMs < 0) {
    throw new TesseraConfigError("clockTolerance must be a number of seconds >= 0");
  }
  const ttl = options.ttl ?? 300;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
    throw new TesseraConfigError("ttl must be the tokens' lifetime in seconds");
  }
  const ttlMs = ttl * 1000;
  const now = options.now ?? Date.now;

  // Insertion order is close to expiry order (until = arrival + a bounded lifetime), so expired
  // entries are dropped from the front.
  const sessions = new Map<string, Entry>();
  const users = new Map<string, { revokedAt: number; until: number }>();
  const publishers = new Map<string, PublisherState>();
  const rejected: Record<RevocationRejectReason, number> = {
    unsigned: 0,
    "unknown-key": 0,
    "bad-signature": 0,
    malformed: 0,
  };
  let feedState: "live" | "lost" = "lost";
  /** Bumped on every state report: a queued `live` older than a later `lost` is dropped. */
  let feedReports = 0;
  /** While in the future, a revocation may have been missed: the store is asked. */
  let missedUntil = 0;
  /** While in the future, entries were dropped before their time: the list may miss some. */
  let overflowUntil = 0;
  /** Checking a signature is async: messages are handled one after the other, in feed order. */
  let queue: Promise<void> = Promise.resolve();

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

  function apply(revocation: Revocation, at: number) {
    prune(at);
    // Never longer than a token can live, whatever the message says.
    const until = Math.min(revocation.until, at + ttlMs) + toleranceMs;
    if (until <= at) return;
    for (const sessionId of revocation.sessionIds) remember(sessionId, until);
    for (const userId of revocation.userIds ?? []) {
      const previous = users.get(userId);
      users.set(userId, {
        revokedAt: Math.max(previous?.revokedAt ?? 0, revocation.revokedAt),
        until: Math.max(previous?.until ?? 0, until),
      });
    }
  }

  async function handle(text: string) {
    const message = await keyring.verify(text);
    if (typeof message === "string") {
      rejected[message]++;
      try {
        onRejected?.(message);
      } catch {
        // A failing hook must not stop the feed.
      }
      return;
    }
    const at = now();
    const known = publishers.get(message.pub);
    // Replayed, repeated (live and in the log) or out of order: already applied.
    if (known && message.n <= known.n) return;
    // An old message (read from the log, or replayed) proves nothing about the publisher now:
    // it counts as heard when it was signed, so a crashed publisher's log reads as silent.
    const fresh =
      message.at >= at - 2 * message.every - toleranceMs && message.at <= at + toleranceMs;
    const heardAt = fresh ? at : Math.min(message.at, at);
    if (known) {
      if (message.revoked > known.revoked + (message.revocation ? 1 : 0)) {
        missedUntil = Math.max(missedUntil, at + ttlMs + toleranceMs);
      }
      known.n = message.n;
      known.revoked = message.revoked;
      known.every = message.every;
      known.heardAt = Math.max(known.heardAt, heardAt);
    } else {
      publishers.set(message.pub, {
        n: message.n,
        revoked: message.revoked,
        every: message.every,
        heardAt,
      });
    }
    if (message.lostUntil !== undefined) {
      missedUntil = Math.max(missedUntil, Math.min(message.lostUntil, at + ttlMs) + toleranceMs);
    }
    if (message.revocation) apply(message.revocation, at);
    if (message.bye) publishers.delete(message.pub);
  }

  const subscription: RevocationSubscription = await options.feed.subscribe({
    message(text) {
      queue = queue.then(() => handle(text)).catch(() => {});
    },
    status(state) {
      const report = ++feedReports;
      if (state === "lost") {
        feedState = "lost";
        return;
      }
      // Live only once every message read before it has been checked and applied.
      queue = queue.then(() => {
        if (report === feedReports) feedState = state;
      });
    },
  });
  await queue;

  /** Why the list cannot be trusted at `at`, or `null`. */
  function distrust(at: number): RevocationDistrustReason | null {
    if (feedState !== "live") return "feed-lost";
    let silent = false;
    for (const [id, publisher] of publishers) {
      const bound = publisher.heardAt + 2 * publisher.every;
      if (at <= bound) continue;
      if (at > bound + ttlMs + toleranceMs) publishers.delete(id);
      else silent = true;
    }
    if (missedUntil > at) return "missed-revocation";
    if (silent) return "publisher-silent";
    if (publishers.size === 0) return "no-publisher";
    return null;
  }

  function denies(sessionId: string): boolean {
    const entry = sessions.get(sessionId);
    return entry !== undefined && entry.until > now();
  }

  /** Whether the list alone cannot answer for this token. */
  function unsure(sub: string, iat: number, exp: number): boolean {
    const at = now();
    if (distrust(at) !== null || overflowUntil > at) return true;
    // A token living longer than the lifetime this list keeps entries for.
    if ((exp - iat) * 1000 > ttlMs) return true;
    const user = users.get(sub);
    // Seconds against milliseconds: a token from the same second as the revoke-all is checked.
    return user !== undefined && user.until > at && iat * 1000 <= user.revokedAt + 999;
  }

  function protect(verifier: Verifier): Verifier {
    if (!verifier || typeof verifier.verify !== "function") {
      throw new TesseraConfigError("protect needs a verifier from createVerifier");
    }
    async function verify(token: unknown, verifyOptions?: VerifyOptions): Promise<VerifyResult> {
      const result = await verifier.verify(token);
      if (!result.ok) return result;
      const { sid, sub, iat, exp } = result.claims;
      if (denies(sid)) return { ok: false, reason: "revoked" };
      const sensitive = verifyOptions?.checkRevocation === true;
      if (!sensitive && !unsure(sub, iat, exp)) return result;
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
      return distrust(now()) === null ? "live" : "lost";
    },
    get reason() {
      return distrust(now());
    },
    get publishers() {
      distrust(now());
      return publishers.size;
    },
    get rejected() {
      return { ...rejected };
    },
    get size() {
      prune(now());
      return sessions.size;
    },
    denies,
    protect,
    settled: () => queue,
    close: () => subscription.close(),
  };
}
