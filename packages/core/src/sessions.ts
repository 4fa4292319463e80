/**
 * The session manager: wiring only. Each operation reads the record, hands it to a pure decision
 * (`decisions/*.ts`, built from the rules of `rules.ts`), acts on the decision through the one
 * compare-and-swap loop (`record-change.ts`), and emits the decision's events after the write.
 */
import { type ClientInfo, toStoredClient } from "./binding.js";
import { createSessionCookie, parseBearer, type SessionCookie } from "./cookie.js";
import type { PlannedEvent } from "./decision.js";
import { checkUserId, decideCreate, decideGuest } from "./decisions/create.js";
import {
  checkReason,
  classNamed,
  decideLimit,
  type GuestMerge,
  impersonationRefusal,
  upgradedData,
} from "./decisions/policy.js";
import { findView, listView, revokedIds } from "./decisions/read.js";
import { checkDeviceId, type DataChange, decideBind, decideUpdate } from "./decisions/update.js";
import {
  type CheckMode,
  decideValidate,
  killedByEpoch,
  NO_EPOCHS,
  type ValidateFacts,
} from "./decisions/validate.js";
import { createDeviceSessions, type DeviceSessions } from "./device-sessions.js";
import {
  ImpersonationRefusedError,
  InvalidArgumentError,
  SessionLimitError,
  TesseraConfigError,
} from "./errors.js";
import { emitEvent, type SessionEventType } from "./events.js";
import {
  DEFAULT_POLICY,
  GUEST_POLICY,
  IMPERSONATION_POLICY,
  type ResolvedOptions,
  type ResolvedPolicy,
  resolveOptions,
  type SessionLimit,
  type SessionsOptions,
} from "./options.js";
import { changeLiveRecord, decideAndAct, type FirstRead } from "./record-change.js";
import type {
  CreatedGuest,
  CreatedSession,
  ValidateGuestOptions,
  ValidateOptions,
  ValidateResult,
  ValidateResultWithGuests,
} from "./results.js";
import { isLive } from "./rules.js";
import {
  clientView,
  type DeviceSession,
  type GuestSession,
  guestView,
  type Session,
  type SessionData,
  sessionView,
} from "./session.js";
import type { SessionRecord, StoredClient } from "./store/record.js";
import { guardEpochRead, guardStore } from "./store-guard.js";
import { hashSecret, ID_LENGTH, isSessionId, isToken } from "./token.js";

export type {
  CreatedGuest,
  CreatedSession,
  GuestValidateResult,
  InvalidReason,
  ValidateGuestOptions,
  ValidateOptions,
  ValidateResult,
  ValidateResultWithGuests,
} from "./results.js";

/** Where a request carried its token. */
export interface TokenSource {
  token: string;
  source: "cookie" | "bearer";
}

/** The settings of one policy class as they apply now (`sessions.policyOf`), times in seconds. */
export interface PolicySettings {
  name: string;
  idleTimeout: number;
  absoluteTimeout: number;
  rotation: { interval: number; grace: number };
  freshFor: number;
  /** Whether the session cookie of this class carries `Max-Age` (else it ends with the browser). */
  persistent: boolean;
  limit: SessionLimit | null;
  requireDeviceBound: boolean;
}

/** The input of `create`. */
export interface CreateInput {
  userId: string;
  data?: SessionData;
  client?: ClientInfo;
  /**
   * The policy class of the session (`createSessions({ policies })`).
   * @defaultValue `"default"`
   */
  policy?: string;
}

/** The input of `upgrade`: the login that turns a guest into a user. */
export interface UpgradeInput extends CreateInput {
  /**
   * Combines the guest's data with the login's.
   * @defaultValue the guest data shallow-merged under the login data (the login wins a key)
   */
  merge?: GuestMerge;
}

/** The options of `impersonate`. */
export interface ImpersonateOptions {
  /** Why the admin acts as the user (kept in the `impersonation_started` event; required). */
  reason: string;
  client?: ClientInfo;
  data?: SessionData;
}

/** The session manager returned by `createSessions`. */
export interface Sessions {
  /**
   * Starts a session after a successful login, fresh for its class's `freshFor`. With a class
   * that has a `limit`, the user's sessions of the class beyond it are ended (`evict-oldest`),
   * or this login is (`refuse`: throws `SessionLimitError`); either way `session.limit_evicted`
   * names them. A login that raced a `revokeAll` of its user and lost is ended at once (its
   * token answers `not-found`).
   *
   * @throws TesseraConfigError for an unknown `policy`; SessionLimitError as above.
   */
  create(input: CreateInput): Promise<CreatedSession>;
  /**
   * Checks a token on a request; one store read when nothing is due (`getWithEpochs` when the
   * store has it). A guest token answers `not-found` unless `{ guests: true }` is passed, which
   * makes a guest answer `{ ok: true, guest, session: null, token }`.
   */
  validate(
    token: unknown,
    client: ClientInfo | undefined,
    options: ValidateGuestOptions,
  ): Promise<ValidateResultWithGuests>;
  validate(token: unknown, client?: ClientInfo, options?: ValidateOptions): Promise<ValidateResult>;
  /**
   * Validates and forces a rotation of the secret (after a privilege change). Never `ok` without
   * a new token: a token whose secret was already rotated away answers `stale` and changes nothing.
   */
  rotate(token: unknown, client?: ClientInfo, options?: ValidateOptions): Promise<ValidateResult>;
  /** Records (or replaces) the device id the session is bound to. `null` if the session is gone. */
  bind(sessionId: string, binding: { deviceId: string }): Promise<Session | null>;
  /**
   * Replaces the session data (or maps it with a function). Seen by the next validate everywhere.
   * `null` if the session is gone; with `{ guests: true }` a guest session is changed too (and
   * answered as a `GuestSession`), without it a guest id is `null`.
   */
  update(
    sessionId: string,
    data: SessionData | ((current: SessionData) => SessionData),
    options: { guests: true },
  ): Promise<Session | GuestSession | null>;
  update(
    sessionId: string,
    data: SessionData | ((current: SessionData) => SessionData),
  ): Promise<Session | null>;
  /**
   * Step-up done (the user re-entered a password, passed a second factor): rotates the secret and
   * makes the session fresh for `freshFor`. Answers like `validate`, always with a new token to
   * send (set it as the cookie); a secret already rotated away answers `stale`. Freshness belongs
   * to the new secret: a copy of the cookie taken before never becomes fresh. An impersonation
   * session never becomes fresh.
   */
  reauthenticate(
    token: unknown,
    client?: ClientInfo,
    options?: ValidateOptions,
  ): Promise<ValidateResult>;
  /** Ends one session (a guest's too). Resolves `true` if it existed. */
  revoke(sessionId: string): Promise<boolean>;
  /**
   * Ends every session of a user, optionally keeping one; resolves to the number the store
   * removed. Without `except`, it first raises the user's revocation epoch (stores with epochs):
   * a login racing it does not survive it either.
   */
  revokeAll(userId: string, options?: { except?: string }): Promise<number>;
  /**
   * The kill switch: every session (and guest session) created before `date` is dead from now
   * on, on every server, in one small store write (no scan); each is cleaned up when it is next
   * presented. Needs a store with revocation epochs (every Tessera store).
   *
   * @throws TesseraConfigError when the store has no epoch methods.
   */
  revokeIssuedBefore(date: Date): Promise<void>;
  /**
   * The user's live sessions, most recently active first, `current` marking `options.current`.
   * An impersonation session is listed too, with `impersonatedBy` set.
   */
  list(userId: string, options?: { current?: string }): Promise<DeviceSession[]>;
  /**
   * Looks a session up by id without a secret (admin views, revocation checks). `null` for a
   * guest, a session that ended, or one a revocation epoch ended.
   */
  find(sessionId: string): Promise<Session | null>;
  /** Reads the token from a `Cookie` header, else from an `Authorization: Bearer` header. */
  tokenFrom(headers: { cookie?: string | null; authorization?: string | null }): TokenSource | null;
  /**
   * Starts a guest session (a visitor before login: a cart, preferences): no user, class
   * `guest`, never fresh, in no user index. Check it with `validate(token, client, { guests:
   * true })`; turn it into a user's session at login with `upgrade`.
   */
  createGuest(input?: { data?: SessionData; client?: ClientInfo }): Promise<CreatedGuest>;
  /**
   * The login of a guest: a new session for `input.userId` with a new id and secret (no
   * fixation), the guest's data carried over (see `merge`), the guest session ended, and
   * `session.upgraded` naming both. A guest token that is no longer valid carries nothing: the
   * login goes on as `create`.
   *
   * @throws like `create`.
   */
  upgrade(guestToken: unknown, input: UpgradeInput): Promise<CreatedSession>;
  /**
   * Lets an admin act as another user: a new session of `targetUserId` with `impersonatedBy` set
   * to the admin, class `impersonation`, never fresh. Fires `session.impersonation_started` with
   * both ids and the reason.
   *
   * @throws ImpersonationRefusedError from an impersonation session, for an admin
   * `impersonation.canImpersonate` does not allow (or with none configured), for a target who may
   * impersonate too unless `impersonation.allowAdminTargets`, for oneself, or from a session
   * that ended; InvalidArgumentError without a reason.
   */
  impersonate(
    adminSession: Session,
    targetUserId: string,
    options: ImpersonateOptions,
  ): Promise<CreatedSession>;
  /**
   * Ends an impersonation session and fires `session.impersonation_ended`. Resolves the admin's
   * user id so the caller can return to the admin's own session, or `null` when `sessionId` is
   * no (live) impersonation session (nothing is ended then).
   */
  stopImpersonating(sessionId: string): Promise<{ impersonatedBy: string } | null>;
  /**
   * The settings of a policy class as they apply now, by name or for a session: what an
   * integration needs to write its cookie (`persistent`: with or without `Max-Age`). `null` for a
   * class that is not configured.
   *
   * @example
   * ```ts
   * const { persistent } = sessions.policyOf(session) ?? { persistent: true };
   * setCookie(sessions.cookie.serialize(token, session.expiresAt, { persistent }));
   * ```
   */
  policyOf(nameOrSession: string | { policy: string }): PolicySettings | null;
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
  const policies = config.policies;

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
      ...(extra?.relatedSessionId !== undefined
        ? { relatedSessionId: extra.relatedSessionId }
        : {}),
      ...(extra?.impersonatedBy !== undefined ? { impersonatedBy: extra.impersonatedBy } : {}),
      ...(extra?.reason !== undefined ? { reason: extra.reason } : {}),
    });
  }

  function emitAll(events: readonly PlannedEvent[]) {
    for (const { type, record, client, ...extra } of events) emit(type, record, client, extra);
  }

  /**
   * validate's read when the store has epochs: the record and the epochs that may have ended it,
   * in one round trip, guarded as `store.getWithEpochs` and vetted in decideAndAct's own `then`
   * (made once, not per request).
   */
  const epochRead = guardEpochRead(config.store, config.storeTimeoutMs);
  const readWithEpochs: FirstRead<ValidateFacts, unknown> | undefined = epochRead
    ? {
        read: epochRead.read,
        adopt(found, facts) {
          const checked = epochRead.check(found, facts.id);
          if (!checked) return null;
          facts.epochs = checked.epochs;
          return checked.record;
        },
      }
    : undefined;

  function check(
    token: unknown,
    client: ClientInfo | undefined,
    mode: CheckMode,
    options: ValidateOptions | undefined,
  ): Promise<ValidateResultWithGuests> {
    // `isToken` and the two slices `parseToken` makes, without its object: every request.
    if (!isToken(token)) return Promise.resolve({ ok: false, reason: "malformed" });
    const id = token.slice(0, ID_LENGTH);
    const secret = token.slice(ID_LENGTH + 1);
    const route = options?.dbscRoute;
    const bound = options?.boundCookie;
    const facts: ValidateFacts = {
      id,
      secret,
      hash: hashSecret(secret),
      client: toStoredClient(client),
      boundCookieHash: typeof bound === "string" && bound ? hashSecret(bound) : null,
      dbscRoute:
        route === "registration" || route === "refresh"
          ? route
          : options?.dbscExcluded === true
            ? "excluded"
            : null,
      mode,
      policies,
      guests: mode === "validate" && (options as { guests?: unknown } | undefined)?.guests === true,
      epochs: NO_EPOCHS,
    };
    return decideAndAct(store, now, id, mode, decideValidate, facts, emitAll, readWithEpochs);
  }

  async function change(
    sessionId: string,
    detail: "data" | "bind",
    guests: boolean,
    next: (record: SessionRecord) => SessionRecord,
  ): Promise<Session | GuestSession | null> {
    const changed = await changeLiveRecord(store, now, sessionId, "update", (record) => ({
      // Rule "a guest is never a logged-in user": changed only when the caller asked for guests.
      next: record.userId === null && !guests ? null : next(record),
      result: null,
    }));
    if (!changed) return null;
    const { record, at } = changed;
    if (record.userId === null) {
      if (!guests) return null;
      emit("session.updated", record, null, { detail });
      return guestView(record);
    }
    emit("session.updated", record, null, { detail });
    return findView(record, at);
  }

  /**
   * Inserts a decided record and applies what may end it at once: a revocation epoch that
   * passed it while it was inserted (rule "a login racing revokeAll does not survive it"), and
   * its class's session limit. Throws `SessionLimitError` when the limit ended it.
   */
  async function insert(
    record: SessionRecord,
    events: readonly PlannedEvent[],
    policy: ResolvedPolicy,
  ) {
    await store.create(record);
    emitAll(events);
    if (store.readEpochs) {
      const epochs = await store.readEpochs(record.userId);
      if (killedByEpoch(record, epochs)) {
        await store.delete(record.id);
        emit("session.revoked", record, null, { detail: "epoch" });
        return;
      }
    }
    if (policy.limit === null || record.userId === null) return;
    const listed = await store.listByUser(record.userId);
    const limit = decideLimit(listed, record, policy, now());
    if (limit.evict.length === 0) return;
    await Promise.all(limit.evict.map((evicted) => store.delete(evicted.id)));
    emitAll(limit.events);
    if (limit.ownEvicted) throw new SessionLimitError(policy.name, policy.limit.perUser);
  }

  async function createFor(
    input: { userId: unknown; data?: unknown; client?: ClientInfo; policy?: unknown },
    fallback: string,
    impersonatedBy: string | null = null,
  ): Promise<CreatedSession> {
    const policy = classNamed(input?.policy, policies, fallback);
    const created = decideCreate(input, now(), policy, { impersonatedBy });
    await insert(created.record, created.events, policy);
    return {
      session: sessionView(created.record, created.record.createdAt),
      token: created.token,
    };
  }

  function settingsOf(policy: ResolvedPolicy): PolicySettings {
    return {
      name: policy.name,
      idleTimeout: policy.idleMs / 1000,
      absoluteTimeout: policy.absoluteMs / 1000,
      rotation: { interval: policy.intervalMs / 1000, grace: policy.graceMs / 1000 },
      freshFor: policy.freshMs / 1000,
      persistent: policy.persistent,
      limit: policy.limit ? { ...policy.limit } : null,
      requireDeviceBound: policy.requireDeviceBound,
    };
  }

  const sessions: Sessions = {
    cookie,
    device: createDeviceSessions(store, now, emit),

    create(input) {
      if (!input || typeof input !== "object") return Promise.reject(invalidCreate());
      return createFor(input, DEFAULT_POLICY);
    },

    validate: ((token: unknown, client?: ClientInfo, validateOptions?: ValidateOptions) =>
      check(token, client, "validate", validateOptions)) as Sessions["validate"],
    rotate: (token, client, rotateOptions) =>
      check(token, client, "rotate", rotateOptions) as Promise<ValidateResult>,
    reauthenticate: (token, client, stepOptions) =>
      check(token, client, "reauthenticate", stepOptions) as Promise<ValidateResult>,

    bind(sessionId, binding) {
      const deviceId = checkDeviceId(binding);
      return change(sessionId, "bind", false, (record) =>
        decideBind(record, deviceId),
      ) as Promise<Session | null>;
    },

    update: ((sessionId: string, data: DataChange, updateOptions?: { guests?: boolean }) =>
      change(sessionId, "data", updateOptions?.guests === true, (record) =>
        decideUpdate(record, data),
      )) as Sessions["update"],

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
      // Without `except`, the user's epoch first: every session of the user created before now
      // is dead on every server, including a login inserted while the index below is read.
      if (except === undefined && store.raiseEpoch) await store.raiseEpoch(userId, now());
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

    async revokeIssuedBefore(date) {
      if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
        throw new InvalidArgumentError("revokeIssuedBefore needs a valid Date");
      }
      // A date ahead would refuse every login until then: a lock-out, never a revocation.
      if (date.getTime() > now()) {
        throw new InvalidArgumentError("revokeIssuedBefore needs a date that is not in the future");
      }
      if (!store.raiseEpoch) {
        throw new TesseraConfigError(
          "revokeIssuedBefore needs a store with revocation epochs (getWithEpochs, readEpochs, raiseEpoch)",
        );
      }
      await store.raiseEpoch(null, date.getTime());
      emit("session.revoked", null, null, { sessionId: null, detail: "issued-before" });
    },

    async list(userId, listOptions) {
      checkUserId(userId);
      const [records, epochs] = await Promise.all([
        store.listByUser(userId),
        store.readEpochs ? store.readEpochs(userId) : NO_EPOCHS,
      ]);
      // Rule "revocation epochs": a session a kill switch ended is not shown, even before it is
      // cleaned up.
      const alive = records.filter((record) => !killedByEpoch(record, epochs));
      return listView(alive, userId, now(), listOptions?.current);
    },

    async find(sessionId) {
      if (!isSessionId(sessionId)) return null;
      if (!store.getWithEpochs) return findView(await store.get(sessionId), now());
      // One read, as validate: a session a kill switch ended is not found.
      const found = await store.getWithEpochs(sessionId);
      if (!found || killedByEpoch(found.record, found.epochs)) return null;
      return findView(found.record, now());
    },

    tokenFrom(headers) {
      const fromCookie = cookie.parse(headers.cookie);
      if (fromCookie) return { token: fromCookie, source: "cookie" };
      const fromBearer = parseBearer(headers.authorization);
      return fromBearer ? { token: fromBearer, source: "bearer" } : null;
    },

    async createGuest(input) {
      const policy = policies.get(GUEST_POLICY) as ResolvedPolicy;
      const created = decideGuest(input, now(), policy);
      await insert(created.record, created.events, policy);
      return { guest: guestView(created.record), token: created.token };
    },

    async upgrade(guestToken, input) {
      if (!input || typeof input !== "object") throw invalidCreate();
      const merge = input.merge;
      if (merge !== undefined && typeof merge !== "function") {
        throw new InvalidArgumentError("upgrade's merge must be a function (guestData, loginData)");
      }
      const checked = await check(guestToken, input.client, "validate", {
        guests: true,
      } as ValidateGuestOptions);
      const guest = checked.ok && checked.session === null ? checked.guest : null;
      const data = guest ? upgradedData(guest.data, input.data, merge) : input.data;
      const created = await createFor({ ...input, data }, DEFAULT_POLICY);
      if (guest) {
        await store.delete(guest.id);
        emit("session.upgraded", null, toStoredClient(input.client), {
          sessionId: created.session.id,
          userId: created.session.userId,
          relatedSessionId: guest.id,
        });
      }
      return created;
    },

    async impersonate(adminSession, targetUserId, impersonateOptions) {
      if (!adminSession || typeof adminSession !== "object" || !isSessionId(adminSession.id)) {
        throw new InvalidArgumentError("impersonate needs the admin's Session (from validate)");
      }
      checkUserId(targetUserId);
      const reason = checkReason(impersonateOptions?.reason);
      const adminUserId = adminSession.userId;
      const allowAdminTargets = config.impersonation.allowAdminTargets;
      const may = config.impersonation.canImpersonate;
      const [admin, adminMay, targetMay] = await Promise.all([
        store.get(adminSession.id),
        may ? Promise.resolve(may(adminUserId)).then((v) => v === true) : false,
        may && !allowAdminTargets
          ? Promise.resolve(may(targetUserId)).then((v) => v === true)
          : false,
      ]);
      const refusal = impersonationRefusal({
        admin,
        adminUserId,
        targetUserId,
        adminMay,
        targetMay,
        allowAdminTargets,
        at: now(),
      });
      if (refusal) throw new ImpersonationRefusedError(refusal);
      const created = await createFor(
        {
          userId: targetUserId,
          data: impersonateOptions.data,
          client: impersonateOptions.client,
          policy: IMPERSONATION_POLICY,
        },
        IMPERSONATION_POLICY,
        adminUserId,
      );
      emit("session.impersonation_started", null, toStoredClient(impersonateOptions.client), {
        sessionId: created.session.id,
        userId: targetUserId,
        impersonatedBy: adminUserId,
        relatedSessionId: adminSession.id,
        reason,
      });
      return created;
    },

    async stopImpersonating(sessionId) {
      if (!isSessionId(sessionId)) return null;
      const record = await store.get(sessionId);
      if (!record || record.impersonatedBy === null || !isLive(record, now())) return null;
      await store.delete(sessionId);
      emit("session.impersonation_ended", record, null, {
        impersonatedBy: record.impersonatedBy,
      });
      return { impersonatedBy: record.impersonatedBy };
    },

    policyOf(nameOrSession) {
      const name = typeof nameOrSession === "string" ? nameOrSession : nameOrSession?.policy;
      const policy = typeof name === "string" ? policies.get(name) : undefined;
      return policy ? settingsOf(policy) : null;
    },
  };
  return sessions;
}

function invalidCreate() {
  return new InvalidArgumentError("create needs { userId }");
}
