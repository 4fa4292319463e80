/**
 * The one compare-and-swap loop of core: read the record, decide (a pure function), act on the
 * decision (write the next version only if no one else wrote first, or delete), and when the
 * write lost its race, read again and decide again on the fresh record. Every operation that
 * changes a record goes through here: validate, rotate, step-up, update, bind, the DBSC
 * exchanges.
 *
 * Two kinds of writes meet here. A due write of validate (a rotation, an idle extension, a
 * client move) converges: the losers see the winner's record and most often need no write at
 * all. A change that must apply (20 parallel `update`s incrementing a counter) needs as many
 * rounds as there are writers; the jittered pause after the first lost race spreads them out
 * so each round has a winner without a thundering herd.
 */
import { type Decision, NO_EVENTS, type PlannedEvent } from "./decision.js";
import { SessionConflictError } from "./errors.js";
import { isLive } from "./store/liveness.js";
import type { SessionRecord, SessionStore } from "./store/record.js";
import { isSessionId } from "./token.js";

/** Compare-and-swap attempts before a write is reported as a conflict. */
export const WRITE_ATTEMPTS = 24;
/** Upper bound of the jittered pause between attempts, in milliseconds. */
const MAX_PAUSE_MS = 32;

/** The longest a pause may be after `lost` lost races: 0 first (a converging decision needs no wait). */
function pauseBefore(lost: number): number {
  if (lost <= 1) return 0;
  return Math.random() * Math.min(MAX_PAUSE_MS, 2 ** (lost - 1));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A first read other than `get`: `read` makes the round trip, `adopt` (synchronous, made once,
 * not per call) takes the record out of what it found and notes the rest in the facts.
 */
export interface FirstRead<F, R> {
  read(sessionId: string): Promise<R>;
  adopt(found: R, facts: F): SessionRecord | null;
}

/**
 * Reads record `sessionId`, decides (`decide(record, facts, at)`, pure), acts, and once the
 * action succeeded hands the decision's events to `emit`; resolves the decision's result. Each
 * time the compare-and-swap write loses, it reads again and decides again. The record a
 * decision asks to write is a new object of its own: the loop sets its `version` in place.
 * Throws `SessionConflictError` when every attempt lost (`what` names the operation in it).
 * `firstRead` replaces the first `get` (validate reads the record with its revocation epochs in
 * the same round trip); a read after a lost race is always a `get`.
 *
 * Not `async`: a decision with nothing to write (validate's hot path) settles in the read's own
 * `then`; only a write or a delete enters the loop (`act`).
 */
export function decideAndAct<F, T, R = SessionRecord | null>(
  store: SessionStore,
  now: () => number,
  sessionId: string,
  what: string,
  decide: (record: SessionRecord | null, facts: F, at: number) => Decision<T>,
  facts: F,
  emit: (events: readonly PlannedEvent[]) => void,
  firstRead?: FirstRead<F, R>,
): Promise<T> {
  let read: Promise<R | SessionRecord | null>;
  try {
    read = firstRead ? firstRead.read(sessionId) : store.get(sessionId);
  } catch (error) {
    return Promise.reject(error);
  }
  return read.then((found) => {
    const record = firstRead ? firstRead.adopt(found as R, facts) : (found as SessionRecord | null);
    const decision = decide(record, facts, now());
    if (decision.action !== null) {
      return act(store, now, sessionId, what, decide, facts, emit, record, decision);
    }
    if (decision.events.length > 0) emit(decision.events);
    return decision.result;
  });
}

/** The compare-and-swap loop of `decideAndAct`, from a first decision that writes or deletes. */
async function act<F, T>(
  store: SessionStore,
  now: () => number,
  sessionId: string,
  what: string,
  decide: (record: SessionRecord | null, facts: F, at: number) => Decision<T>,
  facts: F,
  emit: (events: readonly PlannedEvent[]) => void,
  record: SessionRecord | null,
  first: Decision<T>,
): Promise<T> {
  let decision = first;
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    if (attempt > 1) decision = decide(record, facts, now());
    const action = decision.action;
    if (action === "delete") await store.delete(sessionId);
    else if (action !== null && record !== null) {
      action.version = record.version + 1;
      if (!(await store.update(action, record.version))) {
        const pause = pauseBefore(attempt);
        if (pause > 0) await sleep(pause);
        record = await store.get(sessionId);
        continue;
      }
    }
    if (decision.events.length > 0) emit(decision.events);
    return decision.result;
  }
  throw new SessionConflictError(`session ${sessionId} kept changing under ${what}`);
}

/** What `decide` makes of a live record: the record to write (`null`: none) and a result. */
export interface RecordDecision<T> {
  next: SessionRecord | null;
  result: T;
}

/**
 * `decideAndAct` for a change of a live record (update, bind, the DBSC exchanges): a record that
 * is gone or past its timeouts resolves `null` without a write. Resolves the record as written
 * (or as read, when `decide` wrote nothing) with the decision's result.
 */
export async function changeLiveRecord<T>(
  store: SessionStore,
  now: () => number,
  sessionId: string,
  what: string,
  decide: (record: SessionRecord, at: number) => RecordDecision<T>,
): Promise<{ record: SessionRecord; at: number; result: T } | null> {
  if (!isSessionId(sessionId)) return null;
  return decideAndAct(store, now, sessionId, what, decideLive<T>, decide, ignoreEvents);
}

const ignoreEvents = () => {};

/**
 * A change of a live record as a decision: none for a record that is gone or dead. Its result
 * names the record as it will stand: the copy handed to the loop (whose version the loop sets
 * when it writes) or the record as read.
 */
function decideLive<T>(
  record: SessionRecord | null,
  decide: (record: SessionRecord, at: number) => RecordDecision<T>,
  at: number,
): Decision<{ record: SessionRecord; at: number; result: T } | null> {
  if (!record || !isLive(record, at)) return { result: null, action: null, events: NO_EVENTS };
  const { next, result } = decide(record, at);
  if (next === null) return { result: { record, at, result }, action: null, events: NO_EVENTS };
  const written = { ...next };
  return { result: { record: written, at, result }, action: written, events: NO_EVENTS };
}
