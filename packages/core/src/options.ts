/** Options of `createSessions`, their defaults, and the checks that reject unsafe settings. */
import type { BindingMode, BindingOptions, ResolvedBinding } from "./binding.js";
import type { CookieOptions } from "./cookie.js";
import { TesseraConfigError } from "./errors.js";
import type { SessionEventHandler } from "./events.js";
import { STORE_METHODS } from "./store/methods.js";
import type { SessionStore } from "./store/record.js";

/** Rotation of the secret. */
export interface RotationOptions {
  /**
   * Seconds between rotations; 0 rotates on every validate.
   * @defaultValue `300` (5 minutes)
   */
  interval?: number;
  /**
   * Seconds the previous secret stays valid after a rotation (requests in flight). Must be
   * shorter than `interval` when `interval` is not 0.
   * @defaultValue `30`
   */
  grace?: number;
}

/** What a policy class does when a user already has `perUser` sessions of it. */
export interface SessionLimit {
  /** The most live sessions of this class one user may hold (a whole number >= 1). */
  perUser: number;
  /**
   * `"evict-oldest"`: a new login ends the user's oldest sessions of the class beyond the limit.
   * `"refuse"`: a login beyond the limit is refused with `SessionLimitError` (the oldest stay).
   */
  when: "evict-oldest" | "refuse";
}

/**
 * The settings of one policy class (`createSessions({ policies: { admin: {...} } })`). A setting
 * left out is inherited from the top-level options, so `{ idleTimeout: 900 }` changes only that.
 * Times are in seconds.
 */
export interface PolicyClassOptions {
  /** Seconds without activity before a session of the class dies. */
  idleTimeout?: number;
  /** Seconds after creation at which a session of the class dies. */
  absoluteTimeout?: number;
  /** Rotation of the secret (merged over the top-level `rotation`). */
  rotation?: RotationOptions;
  /** Seconds a login or step-up counts as fresh. */
  freshFor?: number;
  /** How each request's client is compared (merged over the top-level `binding`). */
  binding?: BindingOptions;
  /**
   * Whether the session cookie of this class carries `Max-Age` (survives a browser restart).
   * `false` for shared machines (a kiosk): the cookie ends with the browser.
   * @defaultValue `cookie.persistent` (`true`)
   */
  persistent?: boolean;
  /**
   * The most sessions of this class a user may hold, and what a login beyond it does.
   * @defaultValue none (unlimited)
   */
  limit?: SessionLimit | null;
  /**
   * Sessions of this class are valid only once their browser registered a DBSC key
   * (`@tessera/dbsc`): until then every request but the DBSC routes answers `device-unbound`.
   * @defaultValue `false`
   */
  requireDeviceBound?: boolean;
}

/**
 * Everything `createSessions` accepts. Times are in seconds unless stated.
 *
 * @example
 * ```ts
 * const sessions = createSessions({
 *   store: new RedisStore({ client: redis }),
 *   idleTimeout: 30 * 60,
 *   absoluteTimeout: 12 * 60 * 60,
 *   rotation: { interval: 5 * 60, grace: 30 },
 *   binding: { ip: "soft", userAgent: "soft" },
 *   freshFor: 10 * 60,
 *   onEvent: (event) => audit.write(event),
 * });
 * ```
 */
export interface SessionsOptions {
  /** Where sessions are kept: `MemoryStore`, `RedisStore`, `PostgresStore`, `DynamoDBStore`, ... */
  store: SessionStore;
  /**
   * Seconds without activity before a session dies. Accurate to half the window: the new expiry
   * is written only once less than half of it is left. At most `absoluteTimeout`.
   * @defaultValue `604800` (7 days)
   */
  idleTimeout?: number;
  /**
   * Seconds after creation at which a session dies whatever the activity; nothing extends it.
   * @defaultValue `2592000` (30 days)
   */
  absoluteTimeout?: number;
  /**
   * Rotation of the secret.
   * @defaultValue `{ interval: 300, grace: 30 }`
   */
  rotation?: RotationOptions;
  /**
   * How each request's client is compared with the session's.
   * @defaultValue `{ ip: "soft", userAgent: "soft", deviceId: "strict" }`
   */
  binding?: BindingOptions;
  /**
   * Seconds a login or step-up counts as fresh (`session.fresh`, `requireFresh`).
   * @defaultValue `600` (10 minutes)
   */
  freshFor?: number;
  /**
   * The session cookie.
   * @defaultValue `__Host-session; HttpOnly; Secure; SameSite=Lax; Path=/`
   */
  cookie?: CookieOptions;
  /**
   * Receives every lifecycle event (audit logs, alerts). Its errors are swallowed.
   * @defaultValue none
   */
  onEvent?: SessionEventHandler;
  /**
   * Clock in milliseconds, for tests.
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * Milliseconds before a store call is abandoned as unavailable (`StoreUnavailableError`); 0
   * disables.
   * @defaultValue `5000`
   */
  storeTimeout?: number;
  /**
   * Named policy classes: `create({ userId, policy: "remembered" })` picks one. Each inherits the
   * settings above and overrides some; the top-level settings form the class `default`, which
   * `policies.default` may override too. Two classes are built in and may be overridden:
   * `guest` (`createGuest`: 2 h idle, 24 h absolute, never fresh, a browser-session cookie) and
   * `impersonation` (`impersonate`: 15 min idle, 1 h absolute, never fresh, a browser-session
   * cookie). Settings are read from the class on every request, so changing a class changes
   * its existing sessions too; a session whose class is no longer configured is ended on its
   * next request (`not-found`), never moved to a looser class.
   * @defaultValue `{}`
   */
  policies?: Readonly<Record<string, PolicyClassOptions>>;
  /**
   * Who may impersonate (`sessions.impersonate`). Without `canImpersonate`, nobody may.
   * @defaultValue none (impersonation refused)
   */
  impersonation?: ImpersonationOptions;
}

/** Options of impersonation (`sessions.impersonate`). */
export interface ImpersonationOptions {
  /**
   * Whether `userId` may impersonate other users (an admin). Asked for the admin on every
   * `impersonate`, and for the target unless `allowAdminTargets`. May be async.
   */
  canImpersonate?: (userId: string) => boolean | Promise<boolean>;
  /**
   * Allow impersonating a user who may impersonate too (another admin).
   * @defaultValue `false`
   */
  allowAdminTargets?: boolean;
}

/** One policy class with every default applied; times in milliseconds. */
export interface ResolvedPolicy {
  /** The class name. */
  name: string;
  idleMs: number;
  absoluteMs: number;
  intervalMs: number;
  graceMs: number;
  freshMs: number;
  idleSeconds: number;
  binding: ResolvedBinding;
  persistent: boolean;
  limit: SessionLimit | null;
  requireDeviceBound: boolean;
}

/** Options with every default applied; times converted to milliseconds. */
export interface ResolvedOptions extends ResolvedPolicy {
  store: SessionStore;
  cookie: CookieOptions;
  onEvent: SessionEventHandler | undefined;
  now: () => number;
  storeTimeoutMs: number;
  /** Every class by name, `default`, `guest` and `impersonation` included. */
  policies: ReadonlyMap<string, ResolvedPolicy>;
  impersonation: {
    canImpersonate: ImpersonationOptions["canImpersonate"];
    allowAdminTargets: boolean;
  };
}

/** The name of the class the top-level options form. */
export const DEFAULT_POLICY = "default";
/** The class of guest sessions (`createGuest`). */
export const GUEST_POLICY = "guest";
/** The class of impersonation sessions (`impersonate`). */
export const IMPERSONATION_POLICY = "impersonation";

const HOUR = 60 * 60;
/** The built-in classes' own defaults, under anything `policies` says for them. */
const BUILT_IN: Readonly<Record<string, PolicyClassOptions>> = {
  [GUEST_POLICY]: {
    idleTimeout: 2 * HOUR,
    absoluteTimeout: 24 * HOUR,
    freshFor: 0,
    persistent: false,
  },
  [IMPERSONATION_POLICY]: {
    idleTimeout: 15 * 60,
    absoluteTimeout: HOUR,
    freshFor: 0,
    persistent: false,
  },
};

const POLICY_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

const MODES: readonly BindingMode[] = ["off", "soft", "strict"];

function seconds(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new TesseraConfigError(
      `${name} must be a finite number of seconds >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

function mode(name: string, value: unknown, fallback: BindingMode): BindingMode {
  if (value === undefined) return fallback;
  if (!MODES.includes(value as BindingMode)) {
    throw new TesseraConfigError(`${name} must be "off", "soft" or "strict", got ${String(value)}`);
  }
  return value as BindingMode;
}

function prefixBits(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new TesseraConfigError(`${name} must be an integer from 0 to ${max}`);
  }
  return value;
}

/** The settings a class is resolved from: the top-level ones, then the class's own. */
type ClassSettings = PolicyClassOptions;

function mergeClass(base: ClassSettings, over: ClassSettings | undefined): ClassSettings {
  if (!over) return base;
  const merged: ClassSettings = { ...base, ...over };
  if (over.rotation !== undefined && base.rotation !== undefined) {
    merged.rotation =
      over.rotation && typeof over.rotation === "object"
        ? { ...base.rotation, ...over.rotation }
        : over.rotation;
  }
  if (over.binding !== undefined && base.binding !== undefined) {
    merged.binding =
      over.binding && typeof over.binding === "object"
        ? { ...base.binding, ...over.binding }
        : over.binding;
  }
  return merged;
}

/**
 * Resolves one class's settings; `at` prefixes every error message (`""` for the top level,
 * `policies.admin.` for a class), so a bad setting is named where it was written.
 */
function resolveClass(
  name: string,
  options: ClassSettings,
  at: string,
  cookiePersistent: boolean,
): ResolvedPolicy {
  const idle = seconds(`${at}idleTimeout`, options.idleTimeout, 7 * 24 * 60 * 60, 1);
  const absolute = seconds(`${at}absoluteTimeout`, options.absoluteTimeout, 30 * 24 * 60 * 60, 1);
  if (idle > absolute) {
    throw new TesseraConfigError(
      `${at}idleTimeout (${idle}) must not exceed ${at}absoluteTimeout (${absolute})`,
    );
  }
  if (
    options.rotation !== undefined &&
    (options.rotation === null || typeof options.rotation !== "object")
  ) {
    throw new TesseraConfigError(`${at}rotation must be an object { interval, grace }`);
  }
  const interval = seconds(`${at}rotation.interval`, options.rotation?.interval, 300);
  const grace = seconds(
    `${at}rotation.grace`,
    options.rotation?.grace,
    Math.min(30, interval > 0 ? interval / 2 : 30),
  );
  if (interval > 0 && grace >= interval) {
    throw new TesseraConfigError(
      `${at}rotation.grace (${grace}) must be shorter than ${at}rotation.interval (${interval})`,
    );
  }
  const freshFor = seconds(`${at}freshFor`, options.freshFor, 10 * 60);
  const binding = options.binding ?? {};
  if (typeof binding !== "object" || binding === null) {
    throw new TesseraConfigError(`${at}binding must be an object`);
  }
  if (binding.compare !== undefined && typeof binding.compare !== "function") {
    throw new TesseraConfigError(`${at}binding.compare must be a function`);
  }
  const persistent = options.persistent ?? cookiePersistent;
  if (typeof persistent !== "boolean") {
    throw new TesseraConfigError(`${at}persistent must be a boolean`);
  }
  const requireDeviceBound = options.requireDeviceBound ?? false;
  if (typeof requireDeviceBound !== "boolean") {
    throw new TesseraConfigError(`${at}requireDeviceBound must be a boolean`);
  }
  return {
    name,
    idleMs: idle * 1000,
    absoluteMs: absolute * 1000,
    intervalMs: interval * 1000,
    graceMs: grace * 1000,
    freshMs: freshFor * 1000,
    idleSeconds: idle,
    binding: {
      ip: mode(`${at}binding.ip`, binding.ip, "soft"),
      userAgent: mode(`${at}binding.userAgent`, binding.userAgent, "soft"),
      deviceId: mode(`${at}binding.deviceId`, binding.deviceId, "strict"),
      ipv4Prefix: prefixBits(`${at}binding.ipv4Prefix`, binding.ipv4Prefix, 24, 32),
      ipv6Prefix: prefixBits(`${at}binding.ipv6Prefix`, binding.ipv6Prefix, 64, 128),
      compare: binding.compare,
    },
    persistent,
    limit: resolveLimit(`${at}limit`, options.limit),
    requireDeviceBound,
  };
}

function resolveLimit(name: string, limit: unknown): SessionLimit | null {
  if (limit === undefined || limit === null) return null;
  if (typeof limit !== "object") throw new TesseraConfigError(`${name} must be { perUser, when }`);
  const { perUser, when } = limit as Partial<SessionLimit>;
  if (typeof perUser !== "number" || !Number.isInteger(perUser) || perUser < 1) {
    throw new TesseraConfigError(`${name}.perUser must be a whole number >= 1`);
  }
  if (when !== "evict-oldest" && when !== "refuse") {
    throw new TesseraConfigError(`${name}.when must be "evict-oldest" or "refuse"`);
  }
  return { perUser, when };
}

/** Every class: `default` (the top level, with `policies.default`), the built-ins, the rest. */
function resolvePolicies(
  options: SessionsOptions,
  cookiePersistent: boolean,
): Map<string, ResolvedPolicy> {
  const policies = options.policies ?? {};
  if (typeof policies !== "object" || policies === null || Array.isArray(policies)) {
    throw new TesseraConfigError("policies must be an object of named classes");
  }
  const top: ClassSettings = {
    idleTimeout: options.idleTimeout,
    absoluteTimeout: options.absoluteTimeout,
    rotation: options.rotation,
    freshFor: options.freshFor,
    binding: options.binding,
  };
  const resolved = new Map<string, ResolvedPolicy>();
  const names = new Set([DEFAULT_POLICY, ...Object.keys(BUILT_IN), ...Object.keys(policies)]);
  for (const name of names) {
    if (!POLICY_NAME.test(name)) {
      throw new TesseraConfigError(
        `policies: "${name}" is not a class name (letters, digits, "-" and "_", at most 64)`,
      );
    }
    const own = Object.hasOwn(policies, name) ? policies[name] : undefined;
    if (own !== undefined && (typeof own !== "object" || own === null)) {
      throw new TesseraConfigError(`policies.${name} must be an object of settings`);
    }
    const settings = mergeClass(mergeClass(top, BUILT_IN[name]), own);
    const at = name === DEFAULT_POLICY && own === undefined ? "" : `policies.${name}.`;
    resolved.set(name, resolveClass(name, settings, at, cookiePersistent));
  }
  return resolved;
}

/** Applies defaults and validates; throws `TesseraConfigError` on anything inconsistent. */
export function resolveOptions(options: SessionsOptions): ResolvedOptions {
  if (!options || typeof options !== "object")
    throw new TesseraConfigError("createSessions needs an options object");
  const store = options.store as unknown as Record<string, unknown> | undefined;
  if (!store || typeof store !== "object")
    throw new TesseraConfigError("options.store is required");
  for (const method of STORE_METHODS) {
    if (typeof store[method] !== "function") {
      throw new TesseraConfigError(
        `options.store is not a SessionStore: it has no ${method}() method`,
      );
    }
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
    throw new TesseraConfigError("onEvent must be a function");
  }
  if (options.now !== undefined && typeof options.now !== "function") {
    throw new TesseraConfigError("now must be a function returning milliseconds");
  }
  const storeTimeout = options.storeTimeout ?? 5000;
  if (typeof storeTimeout !== "number" || !Number.isFinite(storeTimeout) || storeTimeout < 0) {
    throw new TesseraConfigError("storeTimeout must be a number of milliseconds >= 0");
  }
  const cookie = options.cookie ?? {};
  // The top level first, so its errors are named without a class.
  resolveClass(DEFAULT_POLICY, { ...options, limit: undefined }, "", true);
  const policies = resolvePolicies(options, cookie.persistent ?? true);
  const impersonation = options.impersonation ?? {};
  if (typeof impersonation !== "object" || impersonation === null) {
    throw new TesseraConfigError("impersonation must be an object { canImpersonate }");
  }
  if (
    impersonation.canImpersonate !== undefined &&
    typeof impersonation.canImpersonate !== "function"
  ) {
    throw new TesseraConfigError(
      "impersonation.canImpersonate must be a function (userId) => boolean",
    );
  }
  return {
    ...(policies.get(DEFAULT_POLICY) as ResolvedPolicy),
    store: options.store,
    cookie,
    onEvent: options.onEvent,
    now: options.now ?? Date.now,
    storeTimeoutMs: storeTimeout,
    policies,
    impersonation: {
      canImpersonate: impersonation.canImpersonate,
      allowAdminTargets: impersonation.allowAdminTargets === true,
    },
  };
}
