/**
 * `@tessera/dbsc`: Device Bound Session Credentials for Tessera. One option on any integration:
 * `tessera(sessions, { dbsc: createDbsc(sessions) })`.
 */

export {
  challengeHeader,
  parseProofField,
  parseSessionIdField,
  parseSfString,
  registrationHeader,
  sfString,
} from "./fields.js";
export { createDbsc, type DbscOptions, HEADERS, type RefreshLimits } from "./handler.js";
export {
  type ClaimRules,
  PROOF_ALGORITHMS,
  PROOF_TYPE,
  readRefresh,
  readRegistration,
} from "./proof.js";
