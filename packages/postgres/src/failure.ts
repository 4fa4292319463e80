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

/** Runs one statement; a failure rejects with `StoreUnavailableError("Postgres <op> failed (<code>)")`. */
export const postgresCall = createStoreCall("Postgres", { unwrap: driverError });
