export {
  createTableSql,
  createTableStatements,
  type SessionsTable,
  type SessionsTableOptions,
  sessions,
  sessionsTable,
} from "./schema.js";
export {
  type AnyPgDatabase,
  type DeleteExpiredOptions,
  PostgresStore,
  type PostgresStoreOptions,
} from "./store.js";
