export { type CreateOutcome, SessionDurableObject } from "./object.js";
export {
  DurableObjectStore,
  type DurableObjectStoreOptions,
  type SessionObjectNamespace,
} from "./store.js";
