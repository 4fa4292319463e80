/**
 * The methods of `SessionStore` as a list, for code that wraps a store method by method
 * (instrumentation, test doubles) without writing the six names again.
 */
import type { SessionStore } from "./record.js";

/** The names of the methods every store must have (the optional epoch ones left out). */
export type RequiredStoreMethod = {
  [K in keyof SessionStore]-?: undefined extends SessionStore[K] ? never : K;
}[keyof SessionStore];

/** The names of the optional revocation-epoch methods (all three or none). */
export type EpochStoreMethod = Exclude<keyof SessionStore, RequiredStoreMethod>;

// A method added to the interface does not compile here until it is listed.
const METHODS = {
  create: true,
  get: true,
  update: true,
  delete: true,
  listByUser: true,
  deleteByUser: true,
} as const satisfies Record<RequiredStoreMethod, true>;

const EPOCH_METHODS = {
  getWithEpochs: true,
  readEpochs: true,
  raiseEpoch: true,
} as const satisfies Record<EpochStoreMethod, true>;

/** The six required method names of `SessionStore`, in a stable order. */
export const STORE_METHODS = Object.freeze(Object.keys(METHODS)) as readonly RequiredStoreMethod[];

/**
 * The three optional revocation-epoch methods of `SessionStore` (`getWithEpochs`, `readEpochs`,
 * `raiseEpoch`), in a stable order: a wrapper forwards them when the store it wraps has them.
 */
export const STORE_EPOCH_METHODS = Object.freeze(
  Object.keys(EPOCH_METHODS),
) as readonly EpochStoreMethod[];

/** Whether `store` has the three epoch methods (a store has all three or none). */
export function hasEpochs(
  store: SessionStore,
): store is SessionStore & Required<Pick<SessionStore, EpochStoreMethod>> {
  return STORE_EPOCH_METHODS.every((method) => typeof store[method] === "function");
}
