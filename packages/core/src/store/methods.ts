/**
 * The methods of `SessionStore` as a list, for code that wraps a store method by method
 * (instrumentation, test doubles) without writing the six names again.
 */
import type { SessionStore } from "./record.js";

// A method added to the interface does not compile here until it is listed.
const METHODS = {
  create: true,
  get: true,
  update: true,
  delete: true,
  listByUser: true,
  deleteByUser: true,
} as const satisfies Record<keyof SessionStore, true>;

/** The six method names of `SessionStore`, in a stable order. */
export const STORE_METHODS = Object.freeze(Object.keys(METHODS)) as readonly (keyof SessionStore)[];
