/**
 * `@tessera/core/http`: the request gate, for authors of framework integrations. Applications
 * use an integration (`@tessera/express`, `@tessera/hono`, `@tessera/fastify`, `@tessera/next`,
 * ...) and never need this entry. An integration translates its framework's request into
 * `RequestFacts`, calls `gate.open`, and writes `effects()` (cookies as values, serialised at
 * the edge with `serializeCookie` or handed to the framework's cookie API) onto its response.
 */
export type { CookieAttributes, CookieValue } from "../cookie.js";
export { serializeCookie } from "../cookie.js";
export type {
  DeviceBindingView,
  DeviceDenial,
  DeviceGrant,
  DeviceLifetimes,
  DeviceProof,
  DeviceRefusal,
  DeviceRegistration,
  DeviceSessions,
} from "../device-sessions.js";
export {
  type GuestSessionJson,
  guestFromJson,
  guestToJson,
  type SessionJson,
  sessionFromJson,
  sessionToJson,
} from "../session.js";
export {
  answerForError,
  type HttpAnswer,
  sessionLimitAnswer,
  tooManyRequestsAnswer,
} from "./answers.js";
export type { DbscHandler, DbscOutcome, DbscRoute, ServedAnswer } from "./dbsc.js";
export {
  type HeaderRecord,
  presentedSessionIds,
  type RequestFacts,
  readHeader,
} from "./facts.js";
export { answerResponse, withEffects } from "./fetch.js";
export {
  createGate,
  type Gate,
  type GateOptions,
  type GateSignal,
  isSessions,
} from "./gate.js";
export {
  addressKey,
  checkCounter,
  checkRateLimit,
  createMemoryCounter,
  type LimitCount,
  type LimitCounter,
  type MemoryCounterOptions,
  type RateLimit,
  takeLimits,
} from "./limits.js";
export type {
  CheckedSession,
  LoginInput,
  LogoutEverywhereOptions,
  RequestSession,
  ResponseEffects,
  TokenSourceKind,
} from "./request-state.js";
export {
  createLoginThrottle,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleOptions,
} from "./throttle.js";
