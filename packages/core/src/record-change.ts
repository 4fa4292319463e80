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
import type { Decision } from "./decision.js";
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

/** What the loop did: the decision it acted on, the record as it stands now, and when. */
export interface Acted<T> {
  decision: Decision<T>;
  /** The record as written, or as read when nothing was written (`null`: none / deleted). */
  record: SessionRecord | null;
  /** The clock reading the decision was made at. */
  at: number;
}

/**
 * Reads record `sessionId` (or starts from `first`, a read already made), decides, and acts,
 * deciding again on a fresh read each time the compare-and-swap write loses. Throws
 * `SessionConflictError` when every attempt lost (`what` names the operation in that error).
 */
export async function decideAndAct<T>(
  store: SessionStore,
  now: () => number,
  sessionId: string,
  what: string,
  decide: (record: SessionRecord | null, at: number) => Decision<T>,
  first?: SessionRecord | null,
): Promise<Acted<T>> {
  let record = first === undefined ? await store.get(sessionId) : first;
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const at = now();
    const decision = decide(record, at);
    const action = decision.action;
    if (action === null) return { decision, record, at };
    if (action === "delete") {
      await store.delete(sessionId);
      return { decision, record: null, at };
    }
    const written = { ...action, version: (record?.version ?? 0) + 1 };
    if (record !== null && (await store.update(written, record.version))) {
      return { decision, record: written, at };
    }
    const pause = pauseBefore(attempt);
    if (pause > 0) await sleep(pause);
    record = await store.get(sessionId);
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
  const acted = await decideAndAct<T | typeof GONE>(store, now, sessionId, what, (record, at) => {
    if (!record || !isLive(record, at)) return { result: GONE, action: null, events: [] };
    const { next, result } = decide(record, at);
    return { result, action: next, events: [] };
  });
  const result = acted.decision.result;
  if (result === GONE || acted.record === null) return null;
  return { record: acted.record, at: acted.at, result };
}

const GONE: unique symbol = Symbol("gone");
