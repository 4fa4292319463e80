/**
 * The session lifecycle: create, validate (with rotation, reuse detection, binding and
 * timeouts), and the management calls. All policy lives here; the store only stores.
 */
import { type ClientInfo, compareBinding, toStoredClient } from "./binding.js";
import { createSessionCookie, parseBearer, type SessionCookie } from "./cookie.js";
import { InvalidArgumentError, SessionConflictError } from "./errors.js";
import { emitEvent, type SessionEventType } from "./events.js";
import { type ResolvedOptions, resolveOptions, type SessionsOptions } from "./options.js";
import {
  clientView,
  type DeviceSession,
  type Session,
  type SessionData,
  sessionView,
} from "./session.js";
import type { SessionRecord, StoredClient } from "./store.js";
import { guardStore } from "./store-guard.js";
import {
  deriveRotatedSecret,
  formatToken,
  generateRotationNonce,
  generateSecret,
  generateSessionId,
  hashSecret,
  isSessionId,
  parseToken,
  secretHashMatches,
} from "./token.js";

/** Why `validate` refused a token. */
export type InvalidReason =
  | "malformed"
  | "not-found"
  | "invalid-secret"
  | "expired"
  | "reused"
  | "binding-mismatch"
  | "stale";

/**
 * Result of `validate` / `rotate`. When `token` is not `null`, send it to the client
 * (`sessions.cookie.serialize(token, session.expiresAt)`): the secret rotated or the expiry moved.
 */
export type ValidateResult =
  | { ok: true; session: Session; token: string | null }
  | { ok: false; reason: InvalidReason };

/** What `create` returns: the session and the token to hand to the client once. */
export interface CreatedSession {
  session: Session;
  token: string;
}

/** Where a request carried its token. */
export interface TokenSource {
  token: string;
  source: "cookie" | "bearer";
}

/** The session manager returned by `createSessions`. */
export interface Sessions {
  /** Starts a session after a successful login. The session is fresh. */
  create(input: {
    userId: string;
    data?: SessionData;
    client?: ClientInfo;
  }): Promise<CreatedSession>;
  /** Checks a token on a request; one store read when nothing is due. */
  validate(token: unknown, client?: ClientInfo): Promise<ValidateResult>;
  /** Validates and forces a rotation of the secret (after a privilege change). */
  rotate(token: unknown, client?: ClientInfo): Promise<ValidateResult>;
  /** Records (or replaces) the device id the session is bound to. `null` if the session is gone. */
  bind(sessionId: string, binding: { deviceId: string }): Promise<Session | null>;
  /** Replaces the session data (or maps it with a function). Seen by the next validate everywhere. */
  update(
    sessionId: string,
    data: SessionData | ((current: SessionData) => SessionData),
  ): Promise<Session | null>;
  /** Marks a completed step-up: the session is fresh again for `freshFor`. */
  reauthenticated(sessionId: string): Promise<Session | null>;
  /** Step-up done: rotates the secret and makes the session fresh again for `freshFor`. */
  reauthenticate(token: unknown, client?: ClientInfo): Promise<ValidateResult>;
  /** Ends one session. Resolves `true` if it existed. */
  revoke(sessionId: string): Promise<boolean>;
  /** Ends every session of a user, optionally keeping one; resolves to the number ended. */
  revokeAll(userId: string, options?: { except?: string }): Promise<number>;
  /** The user's live sessions, most recently active first, `current` marking `options.current`. */
  list(userId: string, options?: { current?: string }): Promise<DeviceSession[]>;
  /** Looks a session up by id without a secret (admin views, revocation checks). */
  find(sessionId: string): Promise<Session | null>;
  /** Reads the token from a `Cookie` header, else from an `Authorization: Bearer` header. */
  tokenFrom(headers: { cookie?: string | null; authorization?: string | null }): TokenSource | null;
  /** Set-Cookie helpers. */
  readonly cookie: SessionCookie;
}

/** Older secrets remembered for reuse detection beyond the previous one. */
const RETIRED_SECRETS_KEPT = 3;
/** Compare-and-swap attempts before a write is reported as a conflict. */
const WRITE_ATTEMPTS = 8;
const MAX_USER_ID_LENGTH = 256;

type SecretMatch = "current" | "previous" | "reused" | "invalid";

function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== "string" || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new InvalidArgumentError(
      `userId must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`,
    );
  }
}

function checkData(data: unknown): Record<string, unknown> {
  if (data === undefined) return {};
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new InvalidArgumentError("session data must be a plain JSON object");
  }
  try {
    return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  } catch (cause) {
    throw new InvalidArgumentError("session data must be JSON-serialisable", { cause });
  }
}

/**
 * Creates the session manager. Throws `TesseraConfigError` for invalid options (idle longer
 * than absolute, grace not shorter than the rotation interval, negative numbers, ...).
 *
 * @example
 * ```ts
 * import { createSessions, MemoryStore } from "@tessera/core";
 *
 * const sessions = createSessions({ store: new MemoryStore(), idleTimeout: 30 * 60 });
 * const { session, token } = await sessions.create({ userId: "alice" });
 * const result = await sessions.validate(token, { ip: "203.0.113.7", userAgent });
 * if (result.ok && result.token) setCookie(sessions.cookie.serialize(result.token, result.session.expiresAt));
 * ```
 * @throws TesseraConfigError for a missing store or invalid options: idle longer than absolute,
 * `grace` not shorter than a non-zero `interval`, negative or non-finite numbers, unknown binding
 * modes, an unsafe cookie (a `__Host-` name without `Secure`).
 */
export function createSessions(options: SessionsOptions): Sessions {
  const config: ResolvedOptions = resolveOptions(options);
  const store = guardStore(config.store, config.storeTimeoutMs);
  const now = config.now;
  const cookie = createSessionCookie(config.cookie, config.idleSeconds, now);

  function emit(
    type: SessionEventType,
    record: SessionRecord | null,
    client: StoredClient | null,
    extra?: { detail?: string; count?: number; sessionId?: string | null; userId?: string },
  ) {
    emitEvent(config.onEvent, {
      type,
      sessionId: extra?.sessionId !== undefined ? extra.sessionId : (record?.id ?? null),
      userId: extra?.userId ?? record?.userId ?? null,
      at: new Date(now()),
      client: client ? clientView(client) : null,
      ...(extra?.detail !== undefined ? { detail: extra.detail } : {}),
      ...(extra?.count !== undefined ? { count: extra.count } : {}),
    });
  }

  function matchSecret(record: SessionRecord, presented: string, at: number): SecretMatch {
    if (secretHashMatches(presented, record.secretHash)) return "current";
    if (secretHashMatches(presented, record.previousSecretHash)) {
      return at - record.rotatedAt < config.graceMs ? "previous" : "reused";
    }
    for (const retired of record.retiredSecretHashes) {
      if (secretHashMatches(presented, retired)) return "reused";
    }
    return "invalid";
  }

  /**
   * The single write a validate may need (confirm a rotation, rotate, extend the idle expiry,
   * follow a soft binding change), or `null` when nothing is due: the hot path.
   */
  function plannedWrite(
    record: SessionRecord,
    secret: string,
    at: number,
    force: boolean,
    moved: StoredClient | null,
  ) {
    let next: SessionRecord | null = null;
    let token: string | null = null;
    const change = () => {
      next ??= { ...record, version: record.version + 1 };
      return next;
    };
    if (record.rotationNonce !== null) change().rotationNonce = null; // the new secret was delivered
    if (force || at - record.rotatedAt >= config.intervalMs) {
      const nonce = generateRotationNonce();
      const newSecret = deriveRotatedSecret(secret, nonce);
      const draft = change();
      draft.retiredSecretHashes = [record.previousSecretHash, ...record.retiredSecretHashes]
        .filter((hash): hash is string => hash !== null)
        .slice(0, RETIRED_SECRETS_KEPT);
      draft.previousSecretHash = record.secretHash;
      draft.secretHash = hashSecret(newSecret);
      draft.rotationNonce = nonce;
      draft.rotatedAt = at;
      token = formatToken(record.id, newSecret);
    }
    if (moved) {
      const draft = change();
      // Remember the client as it is now, so the change is reported once, not on every request.
      draft.client = moved;
      draft.freshUntil = Math.min(record.freshUntil, at); // a moved client must step up again
    }
    const extendedExpiry = Math.min(at + config.idleMs, record.absoluteExpiresAt);
    // Idle extension is written only when less than half the window remains, or along with
    // another write: this keeps the hot path at one read, at the cost of half-window accuracy.
    if (
      extendedExpiry > record.expiresAt &&
      (next !== null || record.expiresAt - at < config.idleMs / 2)
    ) {
      const draft = change();
      draft.expiresAt = extendedExpiry;
      token ??= formatToken(record.id, secret); // re-send the cookie so its Max-Age follows
    }
    if (next === null) return null;
    (next as SessionRecord).lastActiveAt = at;
    return { record: next as SessionRecord, token };
  }

  async function check(
    token: unknown,
    client: ClientInfo | undefined,
    force: boolean,
  ): Promise<ValidateResult> {
    const parsed = parseToken(token);
    if (!parsed) return { ok: false, reason: "malformed" };
    let record = await store.get(parsed.id);
    const presented = hashSecret(parsed.secret);
    const current = toStoredClient(client);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const at = now();
      if (!record) return { ok: false, reason: "not-found" };
      if (at >= record.expiresAt || at >= record.absoluteExpiresAt) {
        await store.delete(record.id);
        emit("session.expired", record, current);
        return { ok: false, reason: "expired" };
      }
      const match = matchSecret(record, presented, at);
      if (match === "invalid") {
        emit("session.invalid_secret", record, current);
        return { ok: false, reason: "invalid-secret" };
      }
      if (match === "reused") {
        // Two parties hold this session: end it for both, the thief and the victim.
        await store.delete(record.id);
        emit("session.reuse_detected", record, current);
        emit("session.revoked", record, current, { detail: "reuse" });
        return { ok: false, reason: "reused" };
      }
      const verdict = compareBinding(config.binding, record.client, current);
      if (verdict === "reject") {
        emit("session.binding_mismatch", record, current, { detail: "strict" });
        return { ok: false, reason: "binding-mismatch" };
      }
      if (verdict === "changed")
        emit("session.binding_mismatch", record, current, { detail: "soft" });
      const moved = verdict === "changed";
      if (match === "previous") {
        // A parallel request still carrying the secret just rotated away. While no request has
        // presented the new secret, re-send the same new token: the response that carried it
        // may have been lost, and whichever Set-Cookie lands last must work.
        const resent =
          record.rotationNonce !== null
            ? formatToken(record.id, deriveRotatedSecret(parsed.secret, record.rotationNonce))
            : null;
        // Freshness belongs to the current secret: a copy taken before a step-up never has it.
        const session = { ...sessionView(record, at, moved), fresh: false };
        return { ok: true, session, token: resent };
      }
      const write = plannedWrite(record, parsed.secret, at, force, moved ? current : null);
      if (!write) return { ok: true, session: sessionView(record, at), token: null };
      if (await store.update(write.record, record.version)) {
        if (write.record.rotatedAt !== record.rotatedAt)
          emit("session.rotated", write.record, current);
        return { ok: true, session: sessionView(write.record, at, moved), token: write.token };
      }
      // Lost the compare-and-swap (another request rotated or extended first): decide again
      // on the fresh record, where our secret is now most likely the previous one.
      record = await store.get(parsed.id);
    }
    throw new SessionConflictError(`session ${parsed.id} kept changing under validate`);
  }

  async function mutate(
    sessionId: string,
    change: (record: SessionRecord, at: number) => SessionRecord,
  ): Promise<Session | null> {
    if (!isSessionId(sessionId)) return null;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const record = await store.get(sessionId);
      const at = now();
      if (!record || at >= record.expiresAt || at >= record.absoluteExpiresAt) return null;
      const next = { ...change(record, at), version: record.version + 1 };
      if (await store.update(next, record.version)) return sessionView(next, at);
    }
    throw new SessionConflictError(`session ${sessionId} kept changing under update`);
  }

  return {
    cookie,

    async create(input) {
      if (!input || typeof input !== "object")
        throw new InvalidArgumentError("create needs { userId }");
      checkUserId(input.userId);
      const data = checkData(input.data);
      const at = now();
      const secret = generateSecret();
      const record: SessionRecord = {
        id: generateSessionId(),
        userId: input.userId,
        version: 1,
        secretHash: hashSecret(secret),
        previousSecretHash: null,
        rotationNonce: null,
        retiredSecretHashes: [],
        data,
        createdAt: at,
        authenticatedAt: at,
        freshUntil: at + config.freshMs,
        lastActiveAt: at,
        rotatedAt: at,
        expiresAt: Math.min(at + config.idleMs, at + config.absoluteMs),
        absoluteExpiresAt: at + config.absoluteMs,
        client: toStoredClient(input.client),
      };
      await store.create(record);
      emit("session.created", record, record.client);
      return { session: sessionView(record, at), token: formatToken(record.id, secret) };
    },

    validate: (token, client) => check(token, client, false),
    rotate: (token, client) => check(token, client, true),

    bind(sessionId, binding) {
      if (!binding || typeof binding.deviceId !== "string" || !binding.deviceId) {
        throw new InvalidArgumentError("bind needs { deviceId: string }");
      }
      const deviceId = toStoredClient({ deviceId: binding.deviceId }).deviceId;
      return mutate(sessionId, (record) => ({ ...record, client: { ...record.client, deviceId } }));
    },

    update(sessionId, data) {
      return mutate(sessionId, (record) => {
        const value =
          typeof data === "function" ? data(structuredClone(record.data) as SessionData) : data;
        return { ...record, data: checkData(value) };
      });
    },

    reauthenticated(sessionId) {
      return mutate(sessionId, (record, at) => ({
        ...record,
        authenticatedAt: at,
        freshUntil: Math.min(at + config.freshMs, record.absoluteExpiresAt),
      }));
    },

    async reauthenticate(token, client) {
      const rotated = await check(token, client, true);
      if (!rotated.ok) return rotated;
      if (rotated.token === null) return { ok: false, reason: "stale" };
      const session = await this.reauthenticated(rotated.session.id);
      return session
        ? { ok: true, session, token: rotated.token }
        : { ok: false, reason: "not-found" };
    },

    async revoke(sessionId) {
      if (!isSessionId(sessionId)) return false;
      const record = await store.get(sessionId);
      await store.delete(sessionId);
      if (record) emit("session.revoked", record, null, { detail: "revoke" });
      return record !== null;
    },

    async revokeAll(userId, revokeOptions) {
      checkUserId(userId);
      const except = revokeOptions?.except;
      const count = await store.deleteByUser(userId, except);
      emit("session.revoked", null, null, { sessionId: null, userId, detail: "revoke-all", count });
      return count;
    },

    async list(userId, listOptions) {
      checkUserId(userId);
      const records = await store.listByUser(userId);
      const at = now();
      return records
        .filter(
          (record) =>
            record.userId === userId && at < record.expiresAt && at < record.absoluteExpiresAt,
        )
        .sort((a, b) => b.lastActiveAt - a.lastActiveAt)
        .map((record) => ({
          ...sessionView(record, at),
          current: record.id === listOptions?.current,
        }));
    },

    async find(sessionId) {
      if (!isSessionId(sessionId)) return null;
      const record = await store.get(sessionId);
      const at = now();
      if (!record || at >= record.expiresAt || at >= record.absoluteExpiresAt) return null;
      return sessionView(record, at);
    },

    tokenFrom(headers) {
      const fromCookie = cookie.parse(headers.cookie);
      if (fromCookie) return { token: fromCookie, source: "cookie" };
      const fromBearer = parseBearer(headers.authorization);
      return fromBearer ? { token: fromBearer, source: "bearer" } : null;
    },
  };
}
