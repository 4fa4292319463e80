export type { AnyMySqlDatabase, SessionsTable } from "./schema.js";
export { MySQLStore, type MySQLStoreOptions, type PurgeExpiredOptions } from "./store.js";
