/**
 * Revocation push, the contract: the issuer publishes signed messages (revocations and heartbeats)
 * on a feed; every verifier subscribed to it hears them within a moment, without a call per
 * request. A feed only carries text in order: signing, checking and what a message means live in
 * `revocation.ts`, so a feed never has to be trusted. Redis is the first implementation
 * (`@tessera/access-token/redis`); anything with publish/subscribe and a short replay log can be
 * another.
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
   * revocation time plus the tokens' lifetime): verifiers forget the entry then. A verifier never
   * keeps an entry longer than the lifetime it knows, whatever this says.
   */
  until: number;
}

/** What a subscriber hears from a feed. */
export interface RevocationListener {
  /**
   * A message as published, live or replayed on catch-up, in publish order. The same one may
   * arrive twice, and anyone able to write to the transport can add their own: the subscriber
   * checks every message's signature and sequence.
   */
  message(text: string): void;
  /**
   * `live`: connected and caught up, nothing is being missed. `lost`: the connection is down (or
   * catching up has not finished), messages published now may not have arrived yet.
   */
  status(state: "live" | "lost"): void;
}

/** A subscription to stop. */
export interface RevocationSubscription {
  close(): Promise<void>;
}

/**
 * A channel for revocation messages. `publish` reaches every current subscriber and is kept in a
 * replay log for at least the tokens' lifetime, or rejects; `subscribe` replays the log (all of it
 * at first, from where it stopped after a reconnect) and then delivers live, in publish order.
 */
export interface RevocationFeed {
  publish(message: string): Promise<void>;
  /** Resolves once the first connection attempt is over, live or lost: a verifier starts either way. */
  subscribe(listener: RevocationListener): Promise<RevocationSubscription>;
}
