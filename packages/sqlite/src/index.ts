export type { AnySQLiteDatabase, SessionsTable } from "./schema.js";
export { type DeleteExpiredOptions, SQLiteStore, type SQLiteStoreOptions } from "./store.js";
