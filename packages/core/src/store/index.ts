/**
 * `@tessera/core/store`: what a store author needs. The interface a store implements, the record
 * it keeps, and the kit every Tessera store is built with (the typed field list, the one-timer
 * deadline, the driver-error mapping, the liveness rule), so no store carries a copy of its own.
 */
export { createStoreCall, type StoreCall, type StoreCallOptions } from "./call.js";
export {
  type ColumnLayout,
  type ColumnMap,
  type ColumnOf,
  columnLayout,
  type MutableColumnOf,
  oncePerMillisecond,
} from "./columns.js";
export { createDeadline, type Deadline } from "./deadline.js";
export { type FailureHints, storeFailure } from "./failure.js";
export {
  type FieldKind,
  type FieldOfKind,
  fieldsOfKind,
  type PerField,
  RECORD_FIELD_NAMES,
  RECORD_FIELDS,
  type RecordField,
} from "./fields.js";
export { endOf, isLive } from "./liveness.js";
export {
  type EpochStoreMethod,
  hasEpochs,
  type RequiredStoreMethod,
  STORE_EPOCH_METHODS,
  STORE_METHODS,
} from "./methods.js";
export type {
  RevocationEpochs,
  SessionRecord,
  SessionStore,
  StoredBoundCookie,
  StoredChallenge,
  StoredClient,
  StoredDeviceBinding,
  StoredSessionKey,
} from "./record.js";
