/**
 * Driver errors as Tessera sees them: any failure of the backing service becomes
 * `StoreUnavailableError` (never "no session"), with the driver's error as `cause` and a message
 * that names the operation and the driver's error code, never the driver's message (drivers put
 * statement parameters there: session data, hashes).
 */
import { isTesseraError, StoreUnavailableError, type TesseraError } from "../errors.js";

function codeOf(error: unknown): string | null {
  if (typeof error !== "object" || error === null) return null;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === "string" && /^[\w.-]{1,64}$/.test(code)) return code;
  if (typeof name === "string" && name !== "Error" && /^\w{1,64}$/.test(name)) return name;
  return null;
}

/** What to tell an operator about a driver error, by its code (e.g. "no such table: create it"). */
export type FailureHints = Readonly<Record<string, string>>;

/**
 * The error to throw for a failed store call: a Tessera error passes through unchanged, anything
 * else becomes `StoreUnavailableError("<store> <operation> failed (<code>)", { cause })`, with
 * `hints[code]` after it when there is one.
 *
 * @example
 * ```ts
 * try { return await this.client.get(key); }
 * catch (error) { throw storeFailure("Redis", "GET", error); }
 * ```
 */
export function storeFailure(
  store: string,
  operation: string,
  error: unknown,
  hints?: FailureHints,
): TesseraError {
  if (isTesseraError(error)) return error;
  const code = codeOf(error);
  const hint = code !== null && hints && Object.hasOwn(hints, code) ? `: ${hints[code]}` : "";
  return new StoreUnavailableError(
    `${store} ${operation} failed${code ? ` (${code})` : ""}${hint}`,
    { cause: error },
  );
}
