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
export type { CookieOptions, IssueOptions, SessionCookie } from "./cookie.js";
export type { GuestMerge } from "./decisions/policy.js";
export {
  type ImpersonationRefusal,
  ImpersonationRefusedError,
  InvalidArgumentError,
  isTesseraError,
  SessionConflictError,
  SessionLimitError,
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
export type {
  ImpersonationOptions,
  PolicyClassOptions,
  RotationOptions,
  SessionLimit,
  SessionsOptions,
} from "./options.js";
export type {
  DeviceSession,
  GuestSession,
  Register,
  Session,
  SessionClientInfo,
  SessionData,
} from "./session.js";
export {
  type CreatedGuest,
  type CreatedSession,
  type CreateInput,
  createSessions,
  type GuestValidateResult,
  type ImpersonateOptions,
  type InvalidReason,
  type PolicySettings,
  type Sessions,
  type TokenSource,
  type UpgradeInput,
  type ValidateGuestOptions,
  type ValidateOptions,
  type ValidateResult,
  type ValidateResultWithGuests,
} from "./sessions.js";
export type { RevocationEpochs, SessionStore } from "./store/record.js";
