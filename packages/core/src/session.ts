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
}

/** A session as listed for its user. */
export interface DeviceSession extends Session {
  /** This is the session of the request that asked for the list. */
  current: boolean;
}

const clientViews = boundedCache<SessionClientInfo>("client views");

/**
 * Derives the public client view from the stored form. Memoised (a copy is returned), since the
 * same client is seen on every request of a session and parsing its IP is on the hot path.
 */
export function clientView(client: SessionRecord["client"]): SessionClientInfo {
  const key = `${client.ip ?? ""}|${client.ua ?? ""}|${client.deviceId ?? ""}`;
  return { ...clientViews.get(key, () => deriveClientView(client)) };
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

/**
 * Builds the public view of a record at time `now`. `currentSecret` is false when the request
 * presented the previous secret: freshness belongs to the current secret only.
 */
export function sessionView(
  record: SessionRecord,
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
  };
}
