/**
 * The storage contract. A store only stores: every policy decision (expiry, rotation, reuse
 * detection, binding) is made in core, so a new store is a few dozen lines and cannot get
 * security wrong by itself.
 */

/** What a session remembers about the client that created or last moved it. */
export interface StoredClient {
  /** Full client IP as seen by the integration (shown in device lists; the binding uses its prefix). */
  ip?: string;
  /**
   * User-agent fingerprint `family/major/os` (e.g. `chrome/131/macos`), not the raw header:
   * small, and stable across browser updates.
   */
  ua?: string;
  /** Application-chosen device identifier, if any. */
  deviceId?: string;
}

/**
 * One session as a store keeps it. Plain JSON-serialisable data; all times are Unix epoch
 * milliseconds. It never contains a secret: only SHA-256 hashes (base64url, no padding).
 */
export interface SessionRecord {
  /** Stable public session id (the part of the token before the dot). */
  id: string;
  /**
   * The user the session belongs to, or `null` for a **guest** session (started before login,
   * `sessions.createGuest`). A guest record is in no user index: `listByUser` and `deleteByUser`
   * never see it.
   */
  userId: string | null;
  /**
   * The name of the session's policy class (`"default"`, `"remembered"`, `"guest"`,
   * `"impersonation"`, or one the application configured). Core reads the class's settings at
   * decision time. A record stored before this field existed reads back as `"default"`.
   */
  policy: string;
  /**
   * For an impersonation session (`sessions.impersonate`): the user id of the admin acting as
   * `userId`. `null` for every other session (and for records stored before this field existed).
   */
  impersonatedBy: string | null;
  /** Bumped by core on every write; stores use it for compare-and-swap. */
  version: number;
  /** SHA-256 of the current secret. */
  secretHash: string;
  /** SHA-256 of the secret that was current before the last rotation (accepted inside grace). */
  previousSecretHash: string | null;
  /**
   * Random nonce of the last rotation while its new secret is unconfirmed (no request has
   * presented it yet). The new secret is derived from the previous secret and this nonce, so a
   * holder of the previous secret can be re-sent the same new token. `null` once confirmed.
   * After a forced rotation on top of an unconfirmed one, several nonces, space-separated,
   * oldest first. Opaque to stores: a string of at most a few hundred bytes.
   */
  rotationNonce: string | null;
  /** Hashes of secrets retired before `previousSecretHash`, newest first, for reuse detection. */
  retiredSecretHashes: string[];
  /** Application data (JSON). */
  data: Record<string, unknown>;
  createdAt: number;
  /** Last full authentication (login or step-up). */
  authenticatedAt: number;
  /** The session counts as fresh for sensitive actions until this time. */
  freshUntil: number;
  /** Last time activity was written (accurate to half the idle window, by design). */
  lastActiveAt: number;
  /** Last rotation of the secret (creation counts as one). */
  rotatedAt: number;
  /**
   * When the session dies unless extended: the idle expiry, never later than
   * `absoluteExpiresAt`. Stores use this for native expiry (TTL).
   */
  expiresAt: number;
  /** Hard end of the session, whatever the activity. */
  absoluteExpiresAt: number;
  client: StoredClient;
  /**
   * Device-bound session credentials (DBSC) state, or `null` for a session that was never
   * offered one (no DBSC configured, or created before it was). Public data only: the session
   * key's public JWK, challenges (single-use nonces, not secrets) and the SHA-256 of the
   * short-lived bound cookie. Opaque to stores: kept whole, as JSON.
   */
  dbsc: StoredDeviceBinding | null;
}

/** A key the browser proved it holds: public parts only. */
export interface StoredSessionKey {
  /** The signing algorithm the key was registered with. */
  alg: "ES256" | "RS256";
  /** The public key as a JWK (`kty`, `crv`, `x`, `y` or `kty`, `n`, `e`). */
  jwk: Record<string, string>;
  /** Its RFC 7638 SHA-256 thumbprint, base64url. */
  thumbprint: string;
}

/** A challenge the browser may sign once, until `expiresAt` (epoch ms). */
export interface StoredChallenge {
  value: string;
  expiresAt: number;
}

/** A short-lived bound cookie issued to the key holder: the SHA-256 of its value and its end. */
export interface StoredBoundCookie {
  hash: string;
  expiresAt: number;
}

/**
 * The DBSC state of a session. `key` is `null` while registration is offered but not done;
 * once set, every request must carry a live bound cookie and only the key's holder gets new
 * ones. Kept small: at most a few challenges and two cookies.
 */
export interface StoredDeviceBinding {
  key: StoredSessionKey | null;
  /** Challenges the browser may answer next, newest first. */
  challenges: StoredChallenge[];
  /** Challenges already answered, newest first (a second answer is a replay). */
  spent: string[];
  /** Bound cookies still accepted, newest first. */
  cookies: StoredBoundCookie[];
  /** When the key was registered (epoch ms), or `null`. */
  registeredAt: number | null;
}

/**
 * The revocation epochs that apply to one record, in epoch milliseconds (0 = never set). A record
 * whose `createdAt` is before `max(global, user)` is dead: core answers `not-found` and deletes it.
 */
export interface RevocationEpochs {
  /** Raised by `sessions.revokeIssuedBefore(date)`: every session created before it is dead. */
  global: number;
  /** Raised by `sessions.revokeAll(userId)`: every session of that user created before it is dead. */
  user: number;
}

/**
 * The six operations a session store provides, and three optional ones for revocation epochs
 * (all three or none; every Tessera store implements them). Implementations must be safe under
 * concurrency across processes: `update` is a compare-and-swap on `version`.
 *
 * Expired records (`expiresAt` in the past by the store's clock) must not be returned by
 * `get` or `listByUser`; they may be deleted natively (TTL) or filtered on read.
 * Any failure to reach the backing service must reject; core turns it into
 * `StoreUnavailableError`.
 */
export interface SessionStore {
  /** Inserts a new record. Rejects if a record with the same id exists. */
  create(record: SessionRecord): Promise<void>;
  /** Reads one record, or `null` if absent or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /**
   * Replaces the record if its stored `version` equals `expectedVersion` (core has already set
   * `record.version = expectedVersion + 1`). Resolves `false` when the race was lost or the
   * record is gone, `true` when written.
   */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean>;
  /** Removes a record; resolves even if it did not exist. */
  delete(id: string): Promise<void>;
  /** All live records of one user, in any order. O(sessions of that user). */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Removes all records of one user except `exceptId`; resolves to the number removed. */
  deleteByUser(userId: string, exceptId?: string): Promise<number>;
  /**
   * Optional (all three epoch methods or none): reads a record AND the epochs that apply to it
   * in ONE round trip (one command or script, one statement, one batch read, one call). `user`
   * is the epoch of `record.userId` (0 for a guest record or a user never revoked). `null` when
   * the record is absent or expired, the same rule as `get`. A store whose hot read truly cannot
   * include the user epoch (another cluster slot, a key unknown before the read) may answer
   * `user: 0` and document it; the global epoch must always be in it.
   */
  getWithEpochs?(id: string): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null>;
  /** Optional: the epochs for one user (`userId` `null`: only the global one, `user` is 0). */
  readEpochs?(userId: string | null): Promise<RevocationEpochs>;
  /**
   * Optional: raises the global epoch (`userId` `null`) or one user's epoch to `at` when it is
   * lower; never lowers it (max semantics, atomic under concurrency). One small write, never a
   * scan. Epochs must outlive the sessions they kill: no expiry shorter than the longest absolute
   * timeout (the global one never expires; a user epoch may expire after a generous fixed period
   * the store documents, e.g. 400 days).
   */
  raiseEpoch?(userId: string | null, at: number): Promise<void>;
}
