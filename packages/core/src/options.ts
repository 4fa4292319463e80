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
}

/** Options with every default applied; times converted to milliseconds. */
export interface ResolvedOptions {
  store: SessionStore;
  idleMs: number;
  absoluteMs: number;
  intervalMs: number;
  graceMs: number;
  freshMs: number;
  idleSeconds: number;
  binding: ResolvedBinding;
  cookie: CookieOptions;
  onEvent: SessionEventHandler | undefined;
  now: () => number;
  storeTimeoutMs: number;
}

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
  const idle = seconds("idleTimeout", options.idleTimeout, 7 * 24 * 60 * 60, 1);
  const absolute = seconds("absoluteTimeout", options.absoluteTimeout, 30 * 24 * 60 * 60, 1);
  if (idle > absolute) {
    throw new TesseraConfigError(
      `idleTimeout (${idle}) must not exceed absoluteTimeout (${absolute})`,
    );
  }
  if (
    options.rotation !== undefined &&
    (options.rotation === null || typeof options.rotation !== "object")
  ) {
    throw new TesseraConfigError("rotation must be an object { interval, grace }");
  }
  const interval = seconds("rotation.interval", options.rotation?.interval, 300);
  const grace = seconds(
    "rotation.grace",
    options.rotation?.grace,
    Math.min(30, interval > 0 ? interval / 2 : 30),
  );
  if (interval > 0 && grace >= interval) {
    throw new TesseraConfigError(
      `rotation.grace (${grace}) must be shorter than rotation.interval (${interval})`,
    );
  }
  const freshFor = seconds("freshFor", options.freshFor, 10 * 60);
  const binding = options.binding ?? {};
  if (typeof binding !== "object") throw new TesseraConfigError("binding must be an object");
  if (binding.compare !== undefined && typeof binding.compare !== "function") {
    throw new TesseraConfigError("binding.compare must be a function");
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
  return {
    store: options.store,
    idleMs: idle * 1000,
    absoluteMs: absolute * 1000,
    intervalMs: interval * 1000,
    graceMs: grace * 1000,
    freshMs: freshFor * 1000,
    idleSeconds: idle,
    binding: {
      ip: mode("binding.ip", binding.ip, "soft"),
      userAgent: mode("binding.userAgent", binding.userAgent, "soft"),
      deviceId: mode("binding.deviceId", binding.deviceId, "strict"),
      ipv4Prefix: prefixBits("binding.ipv4Prefix", binding.ipv4Prefix, 24, 32),
      ipv6Prefix: prefixBits("binding.ipv6Prefix", binding.ipv6Prefix, 64, 128),
      compare: binding.compare,
    },
    cookie: options.cookie ?? {},
    onEvent: options.onEvent,
    now: options.now ?? Date.now,
    storeTimeoutMs: storeTimeout,
  };
}
