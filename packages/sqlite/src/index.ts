export type { AnySQLiteDatabase, SessionsTable } from "./schema.js";
export { type PurgeExpiredOptions, SQLiteStore, type SQLiteStoreOptions } from "./store.js";
