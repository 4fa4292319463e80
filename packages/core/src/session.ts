/** The public view of a session: what an application reads. Never contains a secret or hash. */
import { boundedCache } from "./caches.js";
import { ipPrefix } from "./ip.js";
import { isFresh } from "./rules.js";
import type { SessionRecord } from "./store/record.js";
import { readFingerprint } from "./user-agent.js";

/**
 * Augment this interface to type `session.data` everywhere without generics:
 *
 * ```ts
 * declare module "@tessera/core" {
 *   interface Register { sessionData: { role: "admin" | "member" } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmentation point for users
export interface Register {}

/** The type of `session.data`: `Register["sessionData"]` if declared, else a JSON object. */
export type SessionData = Register extends { sessionData: infer Data }
  ? Data
  : Record<string, unknown>;

/** Client information shown for a session (e.g. in a device list). */
export interface SessionClientInfo {
  /** Last known client IP. */
  ip?: string;
  /** Its network prefix (what the binding compares), e.g. `203.0.113.0/24`. */
  ipPrefix?: string;
  /** Browser family and major version, e.g. `chrome 131`. */
  browser?: string;
  /** Operating system, e.g. `macos`. */
  os?: string;
  deviceId?: string;
}

/** A live session. */
export interface Session {
  id: string;
  userId: string;
  data: SessionData;
  createdAt: Date;
  /** Last login or step-up. */
  authenticatedAt: Date;
  /** Last recorded activity (accurate to half the idle timeout). */
  lastActiveAt: Date;
  /** When the session ends unless used: the earlier of the idle and absolute expiry. */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  /** Whether a (re)authentication happened within `freshFor` and the binding has not changed since. */
  fresh: boolean;
  client: SessionClientInfo;
  /** The client changed (soft binding) on this request: freshness was dropped. */
  bindingChanged: boolean;
  /**
   * The browser registered a DBSC key for this session (`@tessera/dbsc`): the session works only
   * with the short-lived cookie that key's holder renews, so a copied session cookie does not.
   */
  deviceBound: boolean;
  /** The session's policy class (`"default"`, `"remembered"`, `"impersonation"`, ...). */
  policy: string;
  /**
   * For an impersonation session (`sessions.impersonate`): the admin's user id acting as
   * `userId`; `null` otherwise. Show it ("you are viewing as ..."); such a session is never fresh.
   */
  impersonatedBy: string | null;
}

/**
 * A guest session (`sessions.createGuest`): a visitor before login, with data of its own (a
 * cart) and no user. Never a `Session`: `validate` answers it only with `{ guests: true }`.
 */
export interface GuestSession {
  id: string;
  /** Always `null`: what tells a guest from a `Session` in a union. */
  userId: null;
  data: SessionData;
  createdAt: Date;
  lastActiveAt: Date;
  /** When the guest session ends unless used: the earlier of its idle and absolute expiry. */
  expiresAt: Date;
  absoluteExpiresAt: Date;
  /** The policy class: `"guest"`. */
  policy: string;
}

/** A session as listed for its user. */
export interface DeviceSession extends Session {
  /** This is the session of the request that asked for the list. */
  current: boolean;
}

const clientViews = boundedCache<SessionClientInfo>("client views");

/** The client `clientView` derived last, compared field by field before any key is built. */
let lastClient: SessionRecord["client"] = {};
let lastView: SessionClientInfo = {};

/**
 * Derives the public client view from the stored form. Memoised (a copy is returned), since the
 * same client is seen on every request of a session and parsing its IP is on the hot path.
 */
export function clientView(client: SessionRecord["client"]): SessionClientInfo {
  if (
    client.ip !== lastClient.ip ||
    client.ua !== lastClient.ua ||
    client.deviceId !== lastClient.deviceId
  ) {
    const key = `${client.ip ?? ""}|${client.ua ?? ""}|${client.deviceId ?? ""}`;
    lastView = clientViews.get(key, () => deriveClientView(client));
    lastClient = { ip: client.ip, ua: client.ua, deviceId: client.deviceId };
  }
  return { ...lastView };
}

function deriveClientView(client: SessionRecord["client"]): SessionClientInfo {
  const view: SessionClientInfo = {};
  if (client.ip !== undefined) {
    view.ip = client.ip;
    const prefix = ipPrefix(client.ip);
    if (prefix) view.ipPrefix = prefix;
  }
  const fingerprint = readFingerprint(client.ua);
  if (fingerprint) {
    view.browser = fingerprint.major
      ? `${fingerprint.family} ${fingerprint.major}`
      : fingerprint.family;
    view.os = fingerprint.os;
  }
  if (client.deviceId !== undefined) view.deviceId = client.deviceId;
  return view;
}

/** A record of a logged-in user (every record but a guest's). */
export type UserRecord = SessionRecord & { userId: string };

/** Whether `record` belongs to a logged-in user (not a guest, whose `userId` is `null`). */
export function isUserRecord(record: SessionRecord): record is UserRecord {
  return record.userId !== null;
}

/**
 * Builds the public view of a record at time `now`. `currentSecret` is false when the request
 * presented the previous secret: freshness belongs to the current secret only.
 */
export function sessionView(
  record: UserRecord,
  now: number,
  bindingChanged = false,
  currentSecret = true,
): Session {
  return {
    id: record.id,
    userId: record.userId,
    data: record.data as SessionData,
    createdAt: new Date(record.createdAt),
    authenticatedAt: new Date(record.authenticatedAt),
    lastActiveAt: new Date(record.lastActiveAt),
    expiresAt: new Date(Math.min(record.expiresAt, record.absoluteExpiresAt)),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    // A soft binding change is written with freshness ended, so the record decides alone.
    fresh: isFresh(record, now, currentSecret),
    client: clientView(record.client),
    bindingChanged,
    deviceBound: record.dbsc?.key != null,
    policy: record.policy,
    impersonatedBy: record.impersonatedBy,
  };
}

/** Builds the public view of a guest record. */
export function guestView(record: SessionRecord): GuestSession {
  return {
    id: record.id,
    userId: null,
    data: record.data as SessionData,
    createdAt: new Date(record.createdAt),
    lastActiveAt: new Date(record.lastActiveAt),
    expiresAt: new Date(Math.min(record.expiresAt, record.absoluteExpiresAt)),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    policy: record.policy,
  };
}

/**
 * The session as JSON: times as epoch milliseconds. What an integration sends across a process
 * or render boundary (Next.js hands the proxy's session to server components), read back by
 * `sessionFromJson`.
 */
export interface SessionJson {
  id: string;
  userId: string;
  data: SessionData;
  createdAt: number;
  authenticatedAt: number;
  lastActiveAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  fresh: boolean;
  client: SessionClientInfo;
  bindingChanged: boolean;
  deviceBound: boolean;
  policy: string;
  impersonatedBy: string | null;
}

/** The JSON view of a session (times as epoch milliseconds). */
export function sessionToJson(session: Session): SessionJson {
  return {
    id: session.id,
    userId: session.userId,
    data: session.data,
    createdAt: session.createdAt.getTime(),
    authenticatedAt: session.authenticatedAt.getTime(),
    lastActiveAt: session.lastActiveAt.getTime(),
    expiresAt: session.expiresAt.getTime(),
    absoluteExpiresAt: session.absoluteExpiresAt.getTime(),
    fresh: session.fresh,
    client: session.client,
    bindingChanged: session.bindingChanged,
    deviceBound: session.deviceBound,
    policy: session.policy,
    impersonatedBy: session.impersonatedBy,
  };
}

/** The JSON view of a guest session (times as epoch milliseconds), read back by `guestFromJson`. */
export interface GuestSessionJson {
  id: string;
  userId: null;
  data: SessionData;
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  policy: string;
}

/** The JSON view of a guest session, for the same boundaries as `sessionToJson`. */
export function guestToJson(guest: GuestSession): GuestSessionJson {
  return {
    id: guest.id,
    userId: null,
    data: guest.data,
    createdAt: guest.createdAt.getTime(),
    lastActiveAt: guest.lastActiveAt.getTime(),
    expiresAt: guest.expiresAt.getTime(),
    absoluteExpiresAt: guest.absoluteExpiresAt.getTime(),
    policy: guest.policy,
  };
}

const GUEST_TIME_FIELDS = ["createdAt", "lastActiveAt", "expiresAt", "absoluteExpiresAt"] as const;

/**
 * The guest session a `guestToJson` value describes, or `null` when `json` is not one (a user
 * id, a missing field, a wrong type): nothing that crossed a boundary is trusted.
 */
export function guestFromJson(json: unknown): GuestSession | null {
  if (typeof json !== "object" || json === null) return null;
  const wire = json as Partial<Record<keyof GuestSessionJson, unknown>>;
  if (typeof wire.id !== "string" || wire.userId !== null) return null;
  if (typeof wire.data !== "object" || wire.data === null || typeof wire.policy !== "string") {
    return null;
  }
  for (const field of GUEST_TIME_FIELDS) {
    if (typeof wire[field] !== "number" || !Number.isFinite(wire[field])) return null;
  }
  const time = (field: (typeof GUEST_TIME_FIELDS)[number]) => new Date(wire[field] as number);
  return {
    id: wire.id,
    userId: null,
    data: wire.data as SessionData,
    createdAt: time("createdAt"),
    lastActiveAt: time("lastActiveAt"),
    expiresAt: time("expiresAt"),
    absoluteExpiresAt: time("absoluteExpiresAt"),
    policy: wire.policy,
  };
}

const TIME_FIELDS = [
  "createdAt",
  "authenticatedAt",
  "lastActiveAt",
  "expiresAt",
  "absoluteExpiresAt",
] as const;

/**
 * The session a `sessionToJson` value describes, or `null` when `json` is not one (a missing
 * field, a wrong type): callers hand it data that crossed a boundary, so nothing is trusted.
 */
export function sessionFromJson(json: unknown): Session | null {
  if (typeof json !== "object" || json === null) return null;
  const wire = json as Partial<Record<keyof SessionJson, unknown>>;
  if (typeof wire.id !== "string" || typeof wire.userId !== "string") return null;
  if (typeof wire.data !== "object" || wire.data === null) return null;
  if (typeof wire.client !== "object" || wire.client === null) return null;
  if (typeof wire.fresh !== "boolean" || typeof wire.bindingChanged !== "boolean") return null;
  for (const field of TIME_FIELDS) {
    if (typeof wire[field] !== "number" || !Number.isFinite(wire[field])) return null;
  }
  const time = (field: (typeof TIME_FIELDS)[number]) => new Date(wire[field] as number);
  return {
    id: wire.id,
    userId: wire.userId,
    data: wire.data as SessionData,
    createdAt: time("createdAt"),
    authenticatedAt: time("authenticatedAt"),
    lastActiveAt: time("lastActiveAt"),
    expiresAt: time("expiresAt"),
    absoluteExpiresAt: time("absoluteExpiresAt"),
    fresh: wire.fresh,
    client: wire.client as SessionClientInfo,
    bindingChanged: wire.bindingChanged,
    deviceBound: wire.deviceBound === true,
    // Written by an older version: the fields it did not have.
    policy: typeof wire.policy === "string" ? wire.policy : "default",
    impersonatedBy: typeof wire.impersonatedBy === "string" ? wire.impersonatedBy : null,
  };
}
