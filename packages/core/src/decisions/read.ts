/**
 * The read-only views: a user's device list and a lookup by id. Each keeps only live records
 * of that user (a store may return an expired record or, on a shared index, another user's).
 */
import { isLive } from "../rules.js";
import {
  type DeviceSession,
  isUserRecord,
  type Session,
  sessionView,
  type UserRecord,
} from "../session.js";
import type { SessionRecord } from "../store/record.js";

/** The user's live sessions, most recently active first, `current` marking one id. */
export function listView(
  records: readonly SessionRecord[],
  userId: string,
  at: number,
  current: string | undefined,
): DeviceSession[] {
  return records
    .filter((record) => isUserRecord(record) && record.userId === userId && isLive(record, at))
    .sort((a, b) => b.lastActiveAt - a.lastActiveAt)
    .map((record) => ({
      ...sessionView(record as UserRecord, at),
      current: record.id === current,
    }));
}

/** The session of a record read by id, or `null` when it is gone or dead. */
export function findView(record: SessionRecord | null, at: number): Session | null {
  return record && isUserRecord(record) && isLive(record, at) ? sessionView(record, at) : null;
}

/**
 * The sessions a `revokeAll` ends, named for its event: every live one of the user's index
 * when it began, the `except` one left out.
 */
export function revokedIds(
  records: readonly SessionRecord[],
  userId: string,
  except: string | undefined,
): string[] {
  return records
    .filter((record) => record.userId === userId && record.id !== except)
    .map((record) => record.id);
}
