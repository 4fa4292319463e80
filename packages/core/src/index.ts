/**
 * `@tessera/core`: what an application needs. Store authors import `@tessera/core/store`,
 * framework-integration authors `@tessera/core/http`.
 */
export {
  type BindingComparator,
  type BindingMode,
  type BindingOptions,
  type BindingVerdict,
  type ClientInfo,
  ipPrefix,
} from "./binding.js";
export type { CookieOptions, SessionCookie } from "./cookie.js";
export {
  InvalidArgumentError,
  isTesseraError,
  SessionConflictError,
  StoreUnavailableError,
  TesseraConfigError,
  TesseraError,
  type TesseraErrorCode,
} from "./errors.js";
export type { SessionEvent, SessionEventHandler, SessionEventType } from "./events.js";
export {
  createMemoryCounter,
  type LimitCount,
  type LimitCounter,
  type MemoryCounterOptions,
  type RateLimit,
} from "./http/limits.js";
export {
  createLoginThrottle,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleOptions,
} from "./http/throttle.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export type { RotationOptions, SessionsOptions } from "./options.js";
export type {
  DeviceSession,
  Register,
  Session,
  SessionClientInfo,
  SessionData,
} from "./session.js";
export {
  type CreatedSession,
  createSessions,
  type InvalidReason,
  type Sessions,
  type TokenSource,
  type ValidateOptions,
  type ValidateResult,
} from "./sessions.js";
export type { SessionStore } from "./store/record.js";
