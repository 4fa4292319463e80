export type { AnyPgDatabase, SessionsTable } from "./schema.js";
export { type DeleteExpiredOptions, PostgresStore, type PostgresStoreOptions } from "./store.js";
