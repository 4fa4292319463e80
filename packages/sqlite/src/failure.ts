/**
 * How the store reports a failed statement: the kit's `StoreUnavailableError`, made from the
 * driver's own error. drizzle wraps driver errors in one whose message lists every parameter of
 * the statement (session data, hashes, nonces); neither its message nor the wrapper may reach a
 * log line.
 */
import { createStoreCall } from "@tessera/core/store";

/** The driver's error inside drizzle's wrapper, or the error as thrown. */
function driverError(error: unknown): unknown {
  if (error instanceof Error && "query" in error && "params" in error && error.cause) {
    return error.cause;
  }
  return error;
}

// The codes better-sqlite3, libSQL and bun:sqlite give a write that waited for another
// connection's lock longer than busy_timeout.
const BUSY =
  "another connection holds the write lock past busy_timeout: use PRAGMA journal_mode=WAL and a busy_timeout of a few seconds (see the README)";

/** Runs one statement; a failure rejects with `StoreUnavailableError("SQLite <op> failed (<code>)")`. */
export const sqliteCall = createStoreCall("SQLite", {
  unwrap: driverError,
  hints: { SQLITE_BUSY: BUSY, SQLITE_BUSY_SNAPSHOT: BUSY, SQLITE_LOCKED: BUSY },
});
