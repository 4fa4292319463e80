/**
 * The session manager: wiring only. Each operation reads the record, hands it to a pure decision
 * (`decisions/*.ts`, built from the rules of `rules.ts`), acts on the decision through the one
 * compare-and-swap loop (`record-change.ts`), and emits the decision's events after the write.
 */
import { type ClientInfo, toStoredClient } from "./binding.js";
import { createSessionCookie, parseBearer, type SessionCookie } from "./cookie.js";
import type { PlannedEvent } from "./decision.js";
import { checkUserId, decideCreate } from "./decisions/create.js";
import { findView, listView, revokedIds } from "./decisions/read.js";
import { checkDeviceId, decideBind, decideUpdate } from "./decisions/update.js";
import {
  type CheckMode,
  decideValidate,
  NO_EPOCHS,
  type ValidateFacts,
} from "./decisions/validate.js";
import { createDeviceSessions, type DeviceSessions } from "./device-sessions.js";
import { emitEvent, type SessionEventType } from "./events.js";
import { type ResolvedOptions, resolveOptions, type SessionsOptions } from "./options.js";
import { changeLiveRecord, decideAndAct } from "./record-change.js";
import type { CreatedSession, ValidateOptions, ValidateResult } from "./results.js";
import {
  clientView,
  type DeviceSession,
  type Session,
  type SessionData,
  sessionView,
} from "./session.js";
import type { SessionRecord, StoredClient } from "./store/record.js";
import { guardStore } from "./store-guard.js";
import { hashSecret, isSessionId, parseToken } from "./token.js";

export type { CreatedSession, InvalidReason, ValidateOptions, ValidateResult } from "./results.js";

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
  rotate(token: unknown, client?: ClientInfo, options?: ValidateOptions): Promise<ValidateResult>;
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
  reauthenticate(
    token: unknown,
    client?: ClientInfo,
    options?: ValidateOptions,
  ): Promise<ValidateResult>;
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
    extra?: Omit<PlannedEvent, "type" | "record" | "client">,
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

  function emitAll(events: readonly PlannedEvent[]) {
    for (const { type, record, client, ...extra } of events) emit(type, record, client, extra);
  }

  function check(
    token: unknown,
    client: ClientInfo | undefined,
    mode: CheckMode,
    options: ValidateOptions | undefined,
  ): Promise<ValidateResult> {
    const parsed = parseToken(token);
    if (!parsed) return Promise.resolve({ ok: false, reason: "malformed" });
    const route = options?.dbscRoute;
    const bound = options?.boundCookie;
    const facts: ValidateFacts = {
      id: parsed.id,
      secret: parsed.secret,
      hash: hashSecret(parsed.secret),
      client: toStoredClient(client),
      boundCookieHash: typeof bound === "string" && bound ? hashSecret(bound) : null,
      dbscRoute:
        route === "registration" || route === "refresh"
          ? route
          : options?.dbscExcluded === true
            ? "excluded"
            : null,
      mode,
      policy: config,
      epochs: NO_EPOCHS,
    };
    const readWithEpochs = store.getWithEpochs
      ? async () => {
          // One round trip: the record and the epochs that may have killed it.
          const found = await store.getWithEpochs?.(parsed.id);
          if (!found) return null;
          facts.epochs = found.epochs;
          return found.record;
        }
      : undefined;
    return decideAndAct(
      store,
      now,
      parsed.id,
      mode,
      decideValidate,
      facts,
      emitAll,
      readWithEpochs,
    );
  }

  async function change(
    sessionId: string,
    detail: "data" | "bind",
    next: (record: SessionRecord) => SessionRecord,
  ): Promise<Session | null> {
    const changed = await changeLiveRecord(store, now, sessionId, "update", (record) => ({
      next: next(record),
      result: null,
    }));
    if (!changed) return null;
    emit("session.updated", changed.record, null, { detail });
    return findView(changed.record, changed.at);
  }

  return {
    cookie,
    device: createDeviceSessions(store, now, emit),

    async create(input) {
      const created = decideCreate(input, now(), config);
      await store.create(created.record);
      emitAll(created.events);
      return {
        session: sessionView(created.record, created.record.createdAt),
        token: created.token,
      };
    },

    validate: (token, client, validateOptions) => check(token, client, "validate", validateOptions),
    rotate: (token, client, rotateOptions) => check(token, client, "rotate", rotateOptions),
    reauthenticate: (token, client, stepOptions) =>
      check(token, client, "reauthenticate", stepOptions),

    bind(sessionId, binding) {
      const deviceId = checkDeviceId(binding);
      return change(sessionId, "bind", (record) => decideBind(record, deviceId));
    },

    update(sessionId, data) {
      return change(sessionId, "data", (record) => decideUpdate(record, data));
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
      const sessionIds = revokedIds(live, userId, except);
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
      return listView(records, userId, now(), listOptions?.current);
    },

    async find(sessionId) {
      if (!isSessionId(sessionId)) return null;
      return findView(await store.get(sessionId), now());
    },

    tokenFrom(headers) {
      const fromCookie = cookie.parse(headers.cookie);
      if (fromCookie) return { token: fromCookie, source: "cookie" };
      const fromBearer = parseBearer(headers.authorization);
      return fromBearer ? { token: fromBearer, source: "bearer" } : null;
    },
  };
}
