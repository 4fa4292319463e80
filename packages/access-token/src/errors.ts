/** Recognising Tessera's errors across copies of `@tessera/core`. */
import { TesseraError, type TesseraErrorCode } from "@tessera/core";

const TESSERA_ERROR_NAMES = new Set([
  "TesseraError",
  "TesseraConfigError",
  "StoreUnavailableError",
  "SessionConflictError",
  "InvalidArgumentError",
]);

/**
 * True when `error` is a Tessera error, of `code` if given. Besides `instanceof`, it accepts the
 * same `name` and `code` from another copy of `@tessera/core`: an app importing core as ESM while
 * this package's CommonJS build requires core's CommonJS build holds two copies of each class.
 */
export function isTesseraError(error: unknown, code?: TesseraErrorCode): boolean {
  const tessera =
    error instanceof TesseraError ||
    (error instanceof Error &&
      TESSERA_ERROR_NAMES.has(error.name) &&
      "code" in error &&
      typeof error.code === "string");
  return tessera && (code === undefined || (error as TesseraError).code === code);
}
