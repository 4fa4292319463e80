/**
 * The session lifecycle: create, validate (with rotation, reuse detection, binding and
 * timeouts), and the management calls. All policy lives here; the store only stores.
 */
import { type ClientInfo, compareBinding, toStoredClient } from "./binding.js";
import { createSessionCookie, parseBearer, type SessionCookie } from "./cookie.js";
import { boundCookieMatches, deviceBindingOf, isDeviceBound } from "./device-binding.js";
import { createDeviceSessions, type DeviceSessions } from "./device-sessions.js";
import { InvalidArgumentError, SessionConflictError } from "./errors.js";
import { emitEvent, type SessionEventType } from "./events.js";
import { type ResolvedOptions, resolveOptions, type SessionsOptions } from "./options.js";
import { changeLiveRecord, WRITE_ATTEMPTS } from "./record-change.js";
import {
  isLive,
  matchSecret,
  type Policy,
  resendSecret,
  writeForCurrent,
  writeForResend,
} from "./rules.js";
import {
  clientView,
  type DeviceSession,
  type Session,
  type SessionData,
  sessionView,
} from "./session.js";
import type { SessionRecord, StoredClient } from "./store/record.js";
import { guardStore } from "./store-guard.js";
import {
  formatToken,
  generateSecret,
  generateSessionId,
  hashSecret,
  isSessionId,
  parseToken,
} from "./token.js";

/**
 * Why `validate` (or `rotate`) refused a token. `stale` comes only from `rotate` and
 * `reauthenticate`: the token's secret was already rotated away; retry with the current token.
 */
export type InvalidReason =
  | "malformed"
  | "not-found"
  | "invalid-secret"
  | "expired"
  | "reused"
  | "binding-mismatch"
  | "stale"
  | "device-unbound";

/** Options of `validate`. */
export interface ValidateOptions {
  /**
   * The device-bound (DBSC) check: the value of the request's short-lived bound cookie, or
   * `null` when it carries none. When given, a session whose browser registered a DBSC key is
   * valid only with a live bound cookie (else `device-unbound`). Integrations with `dbsc` on
   * pass it on every request; leave it out only where the key proof itself is checked (the DBSC
   * refresh route).
   * @defaultValue not checked
   */
  device?: { cookie: string | null };
}

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
  validate(token: unknown, client?: ClientInfo, options?: ValidateOptions): Promise<ValidateResult>;
  /**
   * Validates and forces a rotation of the secret (after a privilege change). Never `ok` without
   * a new token: a token whose secret was already rotated away answers `stale` and changes nothing.
   */
  rotate(token: unknown, client?: ClientInfo): Promise<ValidateResult>;
  /** Records (or replaces) the device id the session is bound to. `null` if the session is gone. */
  bind(sessionId: string, binding: { deviceId: string }): Promise<Session | null>;
  /** Replaces the session data (or maps it with a function). Seen by the next validate everywhere. */
  update(
    sessionId: string,
    data: SessionData | ((current: SessionData) => SessionData),
  ): Promise<Session | null>;
  /**
   * Step-up done (the user re-entered a password, passed a second factor): rotates the secret and
   * makes the session fresh for `freshFor`. Answers like `validate`, always with a new token to
   * send (set it as the cookie); a secret already rotated away answers `stale`. Freshness belongs
   * to the new secret: a copy of the cookie taken before never becomes fresh.
   */
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
  /** Device-bound session credentials (DBSC) state, for `@tessera/dbsc`; applications need not call it. */
  readonly device: DeviceSessions;
}

const MAX_USER_ID_LENGTH = 256;

/** What a check is for: a plain validate, a forced rotation, or a step-up. */
type CheckMode = "validate" | "rotate" | "reauthenticate";

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
  const policy: Policy = config;
  const store = guardStore(config.store, config.storeTimeoutMs);
  const now = config.now;
  const cookie = createSessionCookie(config.cookie, config.idleSeconds, now);

  function emit(
    type: SessionEventType,
    record: SessionRecord | null,
    client: StoredClient | null,
    extra?: {
      detail?: string;
      count?: number;
      sessionIds?: string[];
      sessionId?: string | null;
      userId?: string;
    },
  ) {
    emitEvent(config.onEvent, {
      type,
      sessionId: extra?.sessionId !== undefined ? extra.sessionId : (record?.id ?? null),
      userId: extra?.userId ?? record?.userId ?? null,
      at: new Date(now()),
      client: client ? clientView(client) : null,
      ...(extra?.detail !== undefined ? { detail: extra.detail } : {}),
      ...(extra?.count !== undefined ? { count: extra.count } : {}),
      ...(extra?.sessionIds !== undefined ? { sessionIds: extra.sessionIds } : {}),
    });
  }

  async function check(
    token: unknown,
    client: ClientInfo | undefined,
    mode: CheckMode,
    device?: ValidateOptions["device"],
  ): Promise<ValidateResult> {
    const parsed = parseToken(token);
    if (!parsed) return { ok: false, reason: "malformed" };
    let record = await store.get(parsed.id);
    const presented = hashSecret(parsed.secret);
    const current = toStoredClient(client);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const at = now();
      if (!record) return { ok: false, reason: "not-found" };
      if (!isLive(record, at)) {
        await store.delete(record.id);
        emit("session.expired", record, current);
        return { ok: false, reason: "expired" };
      }
      const match = matchSecret(record, presented, at, config.graceMs);
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
      if (
        device !== undefined &&
        isDeviceBound(record) &&
        !boundCookieMatches(
          deviceBindingOf(record),
          device.cookie === null ? null : hashSecret(device.cookie),
          at,
        )
      ) {
        // The browser holding the key renews its bound cookie before sending; a request without
        // one is a copied session cookie (or a browser that gave up refreshing). Refused, the
        // session left as it is: the key holder goes on.
        emit("session.dbsc_refused", record, current, { detail: "missing-bound-cookie" });
        return { ok: false, reason: "device-unbound" };
      }
      if (mode !== "validate" && match !== "current") {
        // A forced rotation must hand out a new secret, and one derived from a secret that was
        // already rotated away would retire the token the client holds now. Nothing changes.
        return { ok: false, reason: "stale" };
      }
      const moved = verdict === "changed" ? current : null;
      let write: { record: SessionRecord; token: string | null } | null;
      if (match === "current") {
        write = writeForCurrent(record, parsed.secret, at, policy, mode, moved);
      } else {
        const steps = typeof match === "number" ? match : 0;
        const derived = steps > 0 ? resendSecret(record, parsed.secret, steps) : null;
        if (steps > 0 && derived === null) {
          emit("session.invalid_secret", record, current);
          return { ok: false, reason: "invalid-secret" };
        }
        const resent = derived === null ? null : formatToken(record.id, derived);
        // A parallel request still carrying the secret just rotated away (inside grace), or one
        // whose response with the new cookie was lost (unconfirmed: re-send the same token).
        const updated = steps > 0 ? writeForResend(record, at, policy, moved, steps) : null;
        write = updated ? { record: updated, token: resent } : null;
        if (!write) {
          if (moved) emit("session.binding_mismatch", record, current, { detail: "soft" });
          // Freshness belongs to the current secret: the previous one is never fresh.
          return {
            ok: true,
            session: sessionView(record, at, moved !== null, false),
            token: resent,
          };
        }
      }
      if (!write) return { ok: true, session: sessionView(record, at), token: null };
      if (await store.update(write.record, record.version)) {
        if (moved) emit("session.binding_mismatch", record, current, { detail: "soft" });
        if (write.record.secretHash !== record.secretHash) {
          emit("session.rotated", write.record, current, { detail: mode });
        }
        if (mode === "reauthenticate") emit("session.reauthenticated", write.record, current);
        return {
          ok: true,
          session: sessionView(write.record, at, moved !== null, match === "current"),
          token: write.token,
        };
      }
      // Lost the compare-and-swap (another request rotated or extended first): decide again
      // on the fresh record, where our secret is now most likely the previous one.
      record = await store.get(parsed.id);
    }
    throw new SessionConflictError(`session ${parsed.id} kept changing under validate`);
  }

  async function mutate(
    sessionId: string,
    detail: "data" | "bind",
    change: (record: SessionRecord, at: number) => SessionRecord,
  ): Promise<Session | null> {
    const changed = await changeLiveRecord(store, now, sessionId, "update", (record, at) => ({
      next: change(record, at),
      result: null,
    }));
    if (!changed) return null;
    emit("session.updated", changed.record, null, { detail });
    return sessionView(changed.record, changed.at);
  }

  return {
    cookie,
    device: createDeviceSessions(store, now, emit),

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
        dbsc: null,
      };
      await store.create(record);
      emit("session.created", record, record.client);
      return { session: sessionView(record, at), token: formatToken(record.id, secret) };
    },

    validate: (token, client, validateOptions) =>
      check(token, client, "validate", validateOptions?.device),
    rotate: (token, client) => check(token, client, "rotate"),
    reauthenticate: (token, client) => check(token, client, "reauthenticate"),

    bind(sessionId, binding) {
      if (!binding || typeof binding.deviceId !== "string" || !binding.deviceId) {
        throw new InvalidArgumentError("bind needs { deviceId: string }");
      }
      const deviceId = toStoredClient({ deviceId: binding.deviceId }).deviceId;
      return mutate(sessionId, "bind", (record) => ({
        ...record,
        client: { ...record.client, deviceId },
      }));
    },

    update(sessionId, data) {
      return mutate(sessionId, "data", (record) => {
        const value =
          typeof data === "function" ? data(structuredClone(record.data) as SessionData) : data;
        return { ...record, data: checkData(value) };
      });
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
      // The store deletes by user in one call and returns a count; to name the sessions ended,
      // read the user's index first. Every session named was live when revokeAll began and is
      // gone when it returns. A session created between the read and the delete may be ended
      // without being named (the event's count, the store's exact figure, then exceeds the
      // names); it was created after revokeAll began, so ending it is a bonus, not a promise.
      const live = await store.listByUser(userId);
      const count = await store.deleteByUser(userId, except);
      const sessionIds = live
        .filter((record) => record.userId === userId && record.id !== except)
        .map((record) => record.id);
      emit("session.revoked", null, null, {
        sessionId: null,
        userId,
        detail: "revoke-all",
        count,
        sessionIds,
      });
      return count;
    },

    async list(userId, listOptions) {
      checkUserId(userId);
      const records = await store.listByUser(userId);
      const at = now();
      return records
        .filter((record) => record.userId === userId && isLive(record, at))
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
      if (!record || !isLive(record, at)) return null;
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
