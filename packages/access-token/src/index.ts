export {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  RESERVED_CLAIMS,
  type SessionLike,
} from "./claims.js";
export type {
  Revocation,
  RevocationFeed,
  RevocationListener,
  RevocationSubscription,
} from "./feed.js";
export type { AccessTokenGuardOptions, TokenEndpointOptions } from "./http.js";
export {
  type AccessTokens,
  type AccessTokensOptions,
  createAccessTokens,
  type IssuedAccessToken,
} from "./issuer.js";
export {
  type AccessTokenAlgorithm,
  type AccessTokenJwk,
  generateSigningKey,
  type JsonWebKeySet,
  type PublicJwk,
} from "./keys.js";
export {
  type RevocationDistrustReason,
  type RevocationList,
  type RevocationListOptions,
  subscribeRevocations,
} from "./revocation.js";
export type { RevocationRejectReason } from "./revocation-message.js";
export {
  type RevocationEvent,
  type RevocationPublisher,
  type RevocationPublisherOptions,
  type RevocationPublisherStatus,
  revocationPublisher,
} from "./revocation-publisher.js";
export {
  createVerifier,
  type RevocationCheck,
  sessionRevocation,
  type Verifier,
  type VerifierOptions,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyResult,
} from "./verifier.js";
export {
  type AccessTokenGuardResult,
  accessTokenGuard,
  jwksEndpoint,
  tokenEndpoint,
  type WebTokenEndpointOptions,
  withAccessToken,
} from "./web.js";
