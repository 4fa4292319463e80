/**
 * The issuer's end of revocation push: turns `session.revoked` events into signed revocations on
 * a feed, and signs a heartbeat every `heartbeatInterval` so that verifiers can tell a quiet
 * publisher from a dead one. Each message carries two counters (every message; every revocation
 * signed, published or not), so a verifier that misses a revocation notices the jump.
 */
import { TesseraConfigError } from "@tessera/core";
import { base64url } from "jose";
import type { Revocation, RevocationFeed } from "./feed.js";
import type { AccessTokenJwk } from "./keys.js";
import {
  MAX_HEARTBEAT_MS,
  MIN_HEARTBEAT_MS,
  type RevocationMessage,
  readRevocationKeys,
} from "./revocation-message.js";

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
  /**
   * The revocation keys shared with every verifier: HS256 JWKs (`generateSigningKey("HS256")`),
   * the first signs. Not the access-token keys. Rotate like those: add the new key to the
   * verifiers, then put it first here, then retire the old one.
   */
  keys: ReadonlyArray<AccessTokenJwk | string>;
  /**
   * Seconds between heartbeats, 0.05 to 60. Verifiers fall back to the store when a publisher
   * they know is silent for twice this.
   * @defaultValue 5
   */
  heartbeatInterval?: number;
  /**
   * Called when a publish fails or does not finish within the heartbeat interval (at least 1 s):
   * with the revocation it carried, or without one for a heartbeat. Log it and alert: verifiers
   * will ask the store for the tokens it concerned.
   */
  onError?: (error: unknown, revocation?: Revocation) => void;
  /** Called when `status` changes. */
  onStatus?: (status: RevocationPublisherStatus) => void;
  /** Clock in milliseconds, for the time in each message. @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * `starting` until the first message is published; `healthy` while the last one was; `failing`
 * after a failed publish, until one succeeds again; `closed` after `close()`.
 */
export type RevocationPublisherStatus = "starting" | "healthy" | "failing" | "closed";

/** An `onEvent` handler that publishes revocations, with its heartbeat and state. */
export interface RevocationPublisher {
  (event: RevocationEvent): void;
  /** This publisher's id, random per call, in every message it signs. */
  readonly id: string;
  readonly status: RevocationPublisherStatus;
  /** Resolves once every message sent so far is published or has failed. */
  settled(): Promise<void>;
  /** Stops the heartbeat and tells verifiers this publisher is gone (they stop expecting it). */
  close(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`publish did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function randomId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return base64url.encode(bytes);
}

/**
 * Publishes every ended session, signed, and a heartbeat: `createSessions({ onEvent:
 * revocationPublisher({ feed, ttl: tokens.ttl, keys: revocationKeys }) })`. The handler never
 * throws and never delays the lifecycle call; a failed publish goes to `onError` and `status`.
 *
 * @example
 * ```ts
 * const publisher = revocationPublisher({ feed, ttl: tokens.ttl, keys: [revocationKey] });
 * const sessions = createSessions({ store, onEvent: publisher });
 * process.on("SIGTERM", () => void publisher.close());
 * ```
 * @throws TesseraConfigError without a feed, a positive `ttl`, or HS256 `keys`, or with a
 * heartbeat interval out of range.
 */
export function revocationPublisher(options: RevocationPublisherOptions): RevocationPublisher {
  if (!options || typeof options.feed?.publish !== "function") {
    throw new TesseraConfigError("revocationPublisher needs { feed, ttl, keys }");
  }
  const { feed, ttl, onError, onStatus } = options;
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new TesseraConfigError("now must be a function");
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
    throw new TesseraConfigError(
      "revocationPublisher: ttl must be the tokens' lifetime in seconds",
    );
  }
  const keyring = readRevocationKeys(options.keys, "revocationPublisher");
  const every = (options.heartbeatInterval ?? 5) * 1000;
  if (!(every >= MIN_HEARTBEAT_MS && every <= MAX_HEARTBEAT_MS)) {
    throw new TesseraConfigError("heartbeatInterval must be 0.05 to 60 seconds");
  }
  const publishTimeout = Math.max(every, 1000);
  const id = randomId();
  let status: RevocationPublisherStatus = "starting";
  let messages = 0;
  let revocations = 0;
  /** Until when a revocation that could not be published may still matter (epoch ms). */
  let lostUntil = 0;
  /** Signing is async: this chain hands messages to the feed in the order they were numbered. */
  let signing: Promise<unknown> = Promise.resolve();
  let pending: Promise<unknown> = Promise.resolve();

  const setStatus = (next: RevocationPublisherStatus) => {
    if (status === next || status === "closed") return;
    status = next;
    try {
      onStatus?.(next);
    } catch {
      // A failing status sink must not become an unhandled rejection.
    }
  };

  function send(extra: { revocation?: Revocation; bye?: true }): Promise<void> {
    const at = now();
    if (extra.revocation) revocations++;
    const message: RevocationMessage = {
      pub: id,
      n: ++messages,
      revoked: revocations,
      at,
      every,
      ...(lostUntil > at ? { lostUntil } : {}),
      ...extra,
    };
    const signed = signing.then(() => keyring.sign(message));
    const published = signed
      .then((text) => withTimeout(feed.publish(text), publishTimeout))
      .then(
        () => setStatus("healthy"),
        (error: unknown) => {
          if (extra.revocation) lostUntil = Math.max(lostUntil, extra.revocation.until);
          setStatus("failing");
          try {
            onError?.(error, extra.revocation);
          } catch {
            // The error sink failing must not become an unhandled rejection.
          }
        },
      );
    signing = signed.catch(() => {});
    pending = Promise.all([pending, published]);
    return published;
  }

  const timer = setInterval(() => void send({}), every);
  (timer as { unref?: () => void }).unref?.();
  void send({});

  const publish = (event: RevocationEvent) => {
    if (status === "closed") return;
    if (event?.type !== "session.revoked" || !(event.at instanceof Date)) return;
    const revokedAt = event.at.getTime();
    const listed = Array.isArray(event.sessionIds) ? [...event.sessionIds] : null;
    const sessionIds = listed ?? (event.sessionId ? [event.sessionId] : []);
    // A revoke-all from a core that does not name the sessions: fall back to the user.
    const userIds = listed === null && !event.sessionId && event.userId ? [event.userId] : [];
    if (sessionIds.length === 0 && userIds.length === 0) return;
    void send({
      revocation: {
        sessionIds,
        ...(userIds.length > 0 ? { userIds } : {}),
        revokedAt,
        until: revokedAt + ttl * 1000,
      },
    });
  };

  return Object.defineProperties(publish, {
    id: { value: id, enumerable: true },
    status: { get: () => status, enumerable: true },
    settled: { value: () => pending.then(() => {}) },
    close: {
      value: async () => {
        if (status === "closed") return;
        clearInterval(timer);
        await send({ bye: true });
        setStatus("closed");
      },
    },
  }) as RevocationPublisher;
}
