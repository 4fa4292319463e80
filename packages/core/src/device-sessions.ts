/**
 * `sessions.device`: the DBSC operations on a session record (offer registration, register a
 * key, issue a challenge, refresh the bound cookie). Every change is a compare-and-swap write of
 * the session record: no store method of its own. Signatures are verified by `@tessera/dbsc`
 * before these run; what is decided here is which challenge may be answered and which bound
 * cookie is live, and every refusal fires `session.dbsc_refused`.
 */
import { type ClientInfo, toStoredClient } from "./binding.js";
import {
  addBoundCookie,
  addChallenge,
  deviceBindingOf,
  judgeChallenge,
  liveChallenge,
  spendChallenge,
} from "./device-binding.js";
import type { SessionEventType } from "./events.js";
import { changeLiveRecord } from "./record-change.js";
import { isLive } from "./rules.js";
import type {
  SessionRecord,
  SessionStore,
  StoredClient,
  StoredDeviceBinding,
  StoredSessionKey,
} from "./store/record.js";
import { generateSecret, hashSecret, isSessionId } from "./token.js";

/** Why a DBSC registration or refresh was refused (the `detail` of `session.dbsc_refused`). */
export type DeviceRefusal =
  /** The session was revoked, logged out or expired (or never existed). */
  | "session-ended"
  /** A refresh for a session that has no registered key. */
  | "not-bound"
  /** A registration for a session that already has a key: a key is registered once. */
  | "already-bound"
  /** The proof was not signed by the session's key. */
  | "wrong-key"
  /** The proof is not a well-formed DBSC proof (typ, alg, jwk, jti). */
  | "malformed-proof"
  /** The proof signed a challenge this session never issued. */
  | "unknown-challenge"
  /** The proof signed a challenge past its lifetime. */
  | "expired-challenge"
  /** The proof signed a challenge that was already answered. */
  | "replayed-challenge"
  /**
   * A refresh carried no proof: a browser without a cached challenge (it is handed one), or
   * someone holding only the long-lived cookie. Reported so a stream of them can be seen.
   */
  | "no-proof"
  /** A device-bound session was used without a live bound cookie (a copied session cookie). */
  | "missing-bound-cookie";

/** Lifetimes of what a DBSC exchange issues, in seconds. */
export interface DeviceLifetimes {
  /** How long a challenge may be answered. */
  challengeTtl: number;
  /** How long a bound cookie lives before the browser must prove its key again. */
  cookieTtl: number;
}

/** What a successful registration or refresh hands the browser. */
export interface DeviceGrant {
  ok: true;
  /** The bound cookie's value (sent once; the record keeps only its hash). */
  cookie: string;
  /** When the bound cookie stops being accepted. */
  cookieExpiresAt: Date;
  /** A challenge for the next refresh (sent as `Secure-Session-Challenge`). */
  challenge: string;
}

/** A refusal; `challenge` is a new challenge to answer with when the browser may retry (403). */
export interface DeviceDenial {
  ok: false;
  reason: DeviceRefusal;
  challenge: string | null;
}

/** A proof as `@tessera/dbsc` read it: the challenge it signed, or why it is refused already. */
export type DeviceProof = { challenge: string } | { refused: "wrong-key" | "malformed-proof" };

/** What a registration carries once its self-signature verified. */
export type DeviceRegistration =
  | { challenge: string; key: StoredSessionKey }
  | { refused: "malformed-proof" };

/** The public DBSC state of a session, for verifying a refresh proof. */
export interface DeviceBindingView {
  sessionId: string;
  userId: string;
  /** The registered key, or `null` when the session is not device-bound. */
  key: StoredSessionKey | null;
}

/**
 * The DBSC operations of a session manager, used by `@tessera/dbsc` (applications turn DBSC on
 * with that package and never call these).
 */
export interface DeviceSessions {
  /** Offers registration: stores a registration challenge; resolves it, or `null` if the session is gone. */
  offer(sessionId: string, challengeTtl: number): Promise<string | null>;
  /** The session's key (public), or `null` when the session is gone. One store read. */
  view(sessionId: string): Promise<DeviceBindingView | null>;
  /** Registers the key of a verified registration proof and issues the first bound cookie. */
  register(
    sessionId: string,
    registration: DeviceRegistration,
    lifetimes: DeviceLifetimes,
    client?: ClientInfo,
  ): Promise<DeviceGrant | DeviceDenial>;
  /** Refreshes the bound cookie for a proof verified against the session's key. */
  refresh(
    sessionId: string,
    proof: DeviceProof | null,
    lifetimes: DeviceLifetimes,
    client?: ClientInfo,
  ): Promise<DeviceGrant | DeviceDenial>;
  /** Fires `session.dbsc_refused` for a refusal decided outside a record (no store call). */
  report(
    sessionId: string | null,
    userId: string | null,
    reason: DeviceRefusal,
    client?: ClientInfo,
  ): void;
}

type Emit = (
  type: SessionEventType,
  record: SessionRecord | null,
  client: StoredClient | null,
  extra?: { detail?: string; sessionId?: string | null; userId?: string },
) => void;

/** Builds `sessions.device` over the guarded store of a session manager. */
export function createDeviceSessions(store: SessionStore, now: () => number, emit: Emit) {
  /** Reads, changes and writes one record under compare-and-swap; `null` when it is gone. */
  async function change<T>(
    sessionId: string,
    decide: (
      record: SessionRecord,
      binding: StoredDeviceBinding,
      at: number,
    ) => { next: StoredDeviceBinding | null; result: T },
  ): Promise<{ record: SessionRecord; result: T } | null> {
    return changeLiveRecord(store, now, sessionId, "a DBSC exchange", (record, at) => {
      const { next, result } = decide(record, deviceBindingOf(record), at);
      return { next: next === null ? null : { ...record, dbsc: next }, result };
    });
  }

  function refuse(
    record: SessionRecord | null,
    sessionId: string,
    reason: DeviceRefusal,
    client: StoredClient | undefined,
    challenge: string | null = null,
  ): DeviceDenial {
    emit("session.dbsc_refused", record, client ?? null, { detail: reason, sessionId });
    return { ok: false, reason, challenge };
  }

  /** Answers a challenge: spends it, issues a bound cookie and the next challenge. */
  function grant(binding: StoredDeviceBinding, spent: string, at: number, life: DeviceLifetimes) {
    const cookie = generateSecret();
    const challenge = generateSecret();
    const cookieExpiresAt = at + life.cookieTtl * 1000;
    let next = spendChallenge(binding, spent);
    next = addBoundCookie(next, hashSecret(cookie), cookieExpiresAt, at);
    // The browser keeps this challenge until its next refresh, when the bound cookie runs out:
    // it must outlive the cookie, by the challenge's own lifetime.
    next = addChallenge(next, challenge, at, (life.cookieTtl + life.challengeTtl) * 1000);
    const result: DeviceGrant = {
      ok: true,
      cookie,
      cookieExpiresAt: new Date(cookieExpiresAt),
      challenge,
    };
    return { next, result };
  }

  /**
   * A challenge for a request that proved nothing (no proof, a registration offered again): the
   * newest live one, with no write, or a new one when none is live (which evicts none that is).
   */
  function reuse(binding: StoredDeviceBinding, at: number, ttl: number) {
    const live = liveChallenge(binding, at);
    if (live !== null) return { next: null, challenge: live };
    const challenge = generateSecret();
    return { next: addChallenge(binding, challenge, at, ttl * 1000), challenge };
  }

  /** A refusal that lets the browser retry: a fresh challenge is stored and sent with the 403. */
  function retry(binding: StoredDeviceBinding, reason: DeviceRefusal, at: number, ttl: number) {
    const challenge = generateSecret();
    const result: DeviceDenial = { ok: false, reason, challenge };
    return { next: addChallenge(binding, challenge, at, ttl * 1000), result };
  }

  const device: DeviceSessions = {
    async offer(sessionId, challengeTtl) {
      const done = await change<string | null>(sessionId, (_record, binding, at) => {
        // A bound session is never offered a second key.
        if (binding.key) return { next: null, result: null };
        // Offered again (a failed registration): the pending challenge stays answerable.
        const { next, challenge } = reuse(binding, at, challengeTtl);
        return { next, result: challenge };
      });
      return done?.result ?? null;
    },

    async view(sessionId) {
      if (!isSessionId(sessionId)) return null;
      const record = await store.get(sessionId);
      // DBSC binds the sessions of logged-in users; a guest session has none to offer.
      if (!record || record.userId === null || !isLive(record, now())) return null;
      return { sessionId, userId: record.userId, key: deviceBindingOf(record).key };
    },

    async register(sessionId, registration, lifetimes, clientInfo) {
      const client = toStoredClient(clientInfo);
      if ("refused" in registration) {
        const record = await store.get(sessionId);
        return refuse(record, sessionId, registration.refused, client);
      }
      const done = await change<DeviceGrant | DeviceDenial>(sessionId, (_record, binding, at) => {
        if (binding.key) {
          return { next: null, result: { ok: false, reason: "already-bound", challenge: null } };
        }
        const verdict = judgeChallenge(binding, registration.challenge, at);
        if (verdict !== "ok") {
          return { next: null, result: { ok: false, reason: verdict, challenge: null } };
        }
        const granted = grant(binding, registration.challenge, at, lifetimes);
        return {
          next: { ...granted.next, key: registration.key, registeredAt: at },
          result: granted.result,
        };
      });
      if (!done) return refuse(null, sessionId, "session-ended", client);
      const result = done.result;
      if (!result.ok) return refuse(done.record, sessionId, result.reason, client);
      emit("session.dbsc_registered", done.record, client ?? null, {
        detail: registration.key.alg,
      });
      return result;
    },

    async refresh(sessionId, proof, lifetimes, clientInfo) {
      const client = toStoredClient(clientInfo);
      if (proof && "refused" in proof) {
        const record = await store.get(sessionId);
        return refuse(record, sessionId, proof.refused, client);
      }
      const done = await change<DeviceGrant | DeviceDenial>(sessionId, (_record, binding, at) => {
        if (!binding.key) {
          const result: DeviceDenial = { ok: false, reason: "not-bound", challenge: null };
          return { next: null, result };
        }
        // No proof: hand the caller a live challenge (403, as the draft says), never a new one
        // that would evict the challenge the real browser cached for its next refresh.
        if (proof === null) {
          const { next, challenge } = reuse(binding, at, lifetimes.challengeTtl);
          const result: DeviceDenial = { ok: false, reason: "no-proof", challenge };
          return { next, result };
        }
        const verdict = judgeChallenge(binding, proof.challenge, at);
        if (verdict !== "ok") return retry(binding, verdict, at, lifetimes.challengeTtl);
        return grant(binding, proof.challenge, at, lifetimes);
      });
      if (!done) return refuse(null, sessionId, "session-ended", client);
      const result = done.result;
      if (!result.ok)
        return refuse(done.record, sessionId, result.reason, client, result.challenge);
      emit("session.dbsc_refreshed", done.record, client ?? null);
      return result;
    },

    report(sessionId, userId, reason, clientInfo) {
      emit("session.dbsc_refused", null, toStoredClient(clientInfo), {
        detail: reason,
        sessionId,
        ...(userId !== null ? { userId } : {}),
      });
    },
  };
  return device;
}
