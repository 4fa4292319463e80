/**
 * When a record is live: the one rule every store and core's lifecycle share. A session dies at
 * the earlier of its idle expiry (`expiresAt`) and its absolute one (`absoluteExpiresAt`).
 */
import type { SessionRecord } from "./record.js";

/** The moment the session dies, whatever happens before: the earlier of its two expiries. */
export function endOf(record: Pick<SessionRecord, "expiresAt" | "absoluteExpiresAt">): number {
  return Math.min(record.expiresAt, record.absoluteExpiresAt);
}

/** Whether the record is still live at `at` (milliseconds). */
export function isLive(
  record: Pick<SessionRecord, "expiresAt" | "absoluteExpiresAt">,
  at: number,
): boolean {
  return at < record.expiresAt && at < record.absoluteExpiresAt;
}
