/**
 * How the store reports a failed statement: the kit's `StoreUnavailableError`, made from the
 * driver's own error. drizzle wraps driver errors in one whose message lists every parameter of
 * the statement (session data, hashes, nonces); neither its message nor the wrapper may reach a
 * log line.
 */
import { createStoreCall } from "@tessera/core/store";

/** The driver's error inside drizzle's wrapper, or the error as thrown. */
export function driverError(error: unknown): unknown {
  if (error instanceof Error && "query" in error && "params" in error && error.cause) {
    return error.cause;
  }
  return error;
}

/** The MySQL server error number of a driver error (`1062` for a duplicate key), if any. */
export function errnoOf(error: unknown): number | undefined {
  const errno = (driverError(error) as { errno?: unknown } | null)?.errno;
  return typeof errno === "number" ? errno : undefined;
}

/** What to tell an operator, by the driver's error code. */
const HINTS = {
  ER_NO_SUCH_TABLE:
    "no sessions table: run migrate() from @tessera/mysql/setup or the package's migrations/*.sql",
  ER_BAD_FIELD_ERROR:
    "the sessions table lacks a column: run the package's migrations/*.sql that are missing",
  ER_LOCK_WAIT_TIMEOUT: "a row lock was held past innodb_lock_wait_timeout",
};

/** Runs one statement; a failure rejects with `StoreUnavailableError("MySQL <op> failed (<code>)")`. */
export const mysqlCall = createStoreCall("MySQL", { unwrap: driverError, hints: HINTS });
