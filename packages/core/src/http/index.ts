/**
 * `@tessera/core/http`: the request gate, for authors of framework integrations. Applications
 * use an integration (`@tessera/express`, `@tessera/hono`, `@tessera/fastify`, `@tessera/next`)
 * and never need this entry.
 */
export {
  answerForError,
  type CrossSiteReason,
  crossSiteAnswer,
  type HttpAnswer,
  notFreshAnswer,
  RETRY_AFTER_SECONDS,
  type Refusal,
  storeUnavailableAnswer,
  unauthenticatedAnswer,
} from "./answers.js";
export { clientAddress } from "./client-address.js";
export type { DbscHandler, DbscOutcome, ServedAnswer } from "./dbsc.js";
export {
  type CheckedSession,
  createGate,
  type Gate,
  type GateOptions,
  type HeaderRecord,
  isSessions,
  type LoginInput,
  type LogoutEverywhereOptions,
  presentedSessionIds,
  type RequestFacts,
  type RequestSession,
  type ResponseEffects,
  readHeader,
  sessionIdOf,
  TOKEN_HEADER,
  type TokenSourceKind,
} from "./gate.js";
export { createOriginCheck, type OriginCheck, type OriginFacts } from "./origin.js";
