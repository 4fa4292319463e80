/**
 * Every span, metric and attribute name this package emits, in one place: dashboards and alerts
 * are written against these strings, so they change only with a BREAKING changeset.
 *
 * Attribute names follow the OpenTelemetry semantic-convention style: the general keys
 * (`error.type`, `db.system`, `db.operation.name`, `http.response.status_code`, `enduser.id`) where
 * one applies, and a `tessera.` namespace for the rest.
 */

/** Attribute keys. */
export const ATTRIBUTES = {
  /** `ok`, `refused`, `not-found` (a management call on a session that is gone) or `error`. */
  result: "tessera.session.result",
  /** Why validate/rotate refused: `malformed`, `not-found`, `invalid-secret`, `expired`, `reused`, ... */
  reason: "tessera.session.reason",
  /** The call handed back a token to send (a rotation or an idle extension). A boolean, never the token. */
  newToken: "tessera.session.new_token",
  /** A soft binding change was accepted on this request. */
  bindingChanged: "tessera.session.binding_changed",
  /** The public method called (`validate`, `revoke_all`, ...), on the duration histogram. */
  operation: "tessera.session.operation",
  /** The session id (only with `recordIds: true`): half of a token, useless without the secret. */
  sessionId: "tessera.session.id",
  /** The user id (only with `recordIds: true`). */
  userId: "enduser.id",
  /** The client's network prefix (`203.0.113.0/24`), only with `ipPrefix: true`; never a full IP. */
  ipPrefix: "tessera.client.ip_prefix",
  /** A lifecycle event's type (`session.rotated`, ...). */
  eventType: "tessera.event.type",
  /** `soft` (accepted) or `strict` (refused), on binding mismatches. */
  bindingMode: "tessera.binding.mode",
  /** The store method: `get`, `create`, `update`, `delete`, `listByUser`, `deleteByUser`. */
  storeOperation: "tessera.store.operation",
  /** The store's name as given (`redis`, `postgresql`, `dynamodb`, `memory`, ...). */
  storeName: "tessera.store.name",
  /** The database system, for stores backed by one the conventions name. */
  dbSystem: "db.system",
  /** The store method again, under the database conventions' key. */
  dbOperation: "db.operation.name",
  /** `timeout`, or the error's `code` (`store-unavailable`, `conflict`) or class name. Never its message. */
  errorType: "error.type",
  /** The status of an HTTP answer counted with `recordAnswer`. */
  httpStatus: "http.response.status_code",
} as const;

/** Metric names. */
export const METRICS = {
  validations: "tessera.session.validations",
  rotations: "tessera.session.rotations",
  reuseDetections: "tessera.session.reuse_detections",
  bindingMismatches: "tessera.session.binding_mismatches",
  stepUps: "tessera.session.step_ups",
  events: "tessera.session.events",
  operationDuration: "tessera.session.operation.duration",
  storeDuration: "tessera.store.operation.duration",
  storeErrors: "tessera.store.errors",
  answers: "tessera.http.answers",
} as const;

/** The instrumentation scope (tracer and meter name). */
export const SCOPE = "@tessera/otel";

/** Store names the database semantic conventions know, as `db.system` values. */
export const DB_SYSTEMS: Readonly<Record<string, string>> = {
  redis: "redis",
  postgres: "postgresql",
  postgresql: "postgresql",
  dynamodb: "dynamodb",
};
