/**
 * What every decision returns: the result for the caller, what to do to the record (write a new
 * version, delete it, or nothing), and the events to emit once that is done. Decisions are pure
 * functions over the record and the request's facts; `sessions.ts` reads, decides, acts through
 * the one compare-and-swap loop (`record-change.ts`), and only then emits the events.
 */
import type { SessionEventType } from "./events.js";
import type { SessionRecord, StoredClient } from "./store/record.js";

/** An event a decision asks for, emitted after its write succeeded. */
export interface PlannedEvent {
  type: SessionEventType;
  /** The record the event is about (the written one when there was a write). */
  record: SessionRecord | null;
  /** The client of the request. */
  client: StoredClient | null;
  detail?: string;
  /** Overrides the session id taken from `record` (`null`: a user-wide event). */
  sessionId?: string | null;
  userId?: string;
  count?: number;
  sessionIds?: string[];
  relatedSessionId?: string;
  impersonatedBy?: string;
  reason?: string;
}

/** What a decision makes of one read of a record. */
export interface Decision<T> {
  /** The answer for the caller. */
  result: T;
  /**
   * The next record to write under compare-and-swap (its version is set by the loop), `"delete"`
   * to remove the record (expired, or revoked for reuse), or `null`: nothing to write.
   */
  action: SessionRecord | "delete" | null;
  /** Emitted in order after the action succeeded (never for a write that lost its race). */
  events: readonly PlannedEvent[];
}

/** The events of a decision that has none (shared: the hot path allocates no array). */
export const NO_EVENTS: readonly PlannedEvent[] = Object.freeze([]);

/** A decision that writes nothing. */
export function answer<T>(result: T, events: readonly PlannedEvent[] = NO_EVENTS): Decision<T> {
  return { result, action: null, events };
}
