/**
 * The one compare-and-swap loop of core: read a live record, decide its next version, write it
 * only if no one else wrote first, and decide again on the fresh record when someone did.
 */
import { SessionConflictError } from "./errors.js";
import { isLive } from "./rules.js";
import type { SessionRecord, SessionStore } from "./store/record.js";
import { isSessionId } from "./token.js";

/** Compare-and-swap attempts before a write is reported as a conflict. */
export const WRITE_ATTEMPTS = 8;

/** What `decide` makes of a live record: the record to write (`null`: none) and a result. */
export interface RecordDecision<T> {
  next: SessionRecord | null;
  result: T;
}

/**
 * Changes the live record `sessionId` by `decide` under compare-and-swap (the version is bumped
 * here). Resolves the record as written (or as read, when `decide` wrote nothing) with the
 * decision's result, `null` when the session is not live; `SessionConflictError` when every
 * attempt lost its race (`what` names the change in that error).
 */
export async function changeLiveRecord<T>(
  store: SessionStore,
  now: () => number,
  sessionId: string,
  what: string,
  decide: (record: SessionRecord, at: number) => RecordDecision<T>,
): Promise<{ record: SessionRecord; at: number; result: T } | null> {
  if (!isSessionId(sessionId)) return null;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const record = await store.get(sessionId);
    const at = now();
    if (!record || !isLive(record, at)) return null;
    const { next, result } = decide(record, at);
    if (next === null) return { record, at, result };
    const written = { ...next, version: record.version + 1 };
    if (await store.update(written, record.version)) return { record: written, at, result };
  }
  throw new SessionConflictError(`session ${sessionId} kept changing under ${what}`);
}
