/** The figures a soak run must hold, per lane and in total, and the results file. */

/** Replays of stolen cookies after their victim moved on. */
export interface TheftFigures {
  replayed: number;
  refused: number;
  refusedAndRevoked: number;
  accepted: number;
  examples: string[];
}

/**
 * One injected failure of a store (a Redis Cluster master killed, Redis out of memory, the
 * Postgres pool exhausted...), over all its runs in the lane: what clients saw from the moment it
 * was injected until the scenario was over (the store back and whatever the scenario undid, such
 * as a killed node rejoining), and at least one second after the store served every live session.
 */
export interface FailureFigures {
  scenario: string;
  runs: number;
  /** Answers to requests sent during the window. */
  requests: number;
  /** 2xx answers among them. */
  served: number;
  /** 503 answers with `Retry-After`: what a failure must look like. */
  unavailable: number;
  /** Any other 5xx, or a 503 without `Retry-After` (bound 0). */
  errors: number;
  /** Spurious logouts of honest users during the window (also in the lane's total). */
  logouts: number;
  /** Longest, over runs, from injection to the first 2xx answer. */
  firstSuccessMs: number | null;
  /** Longest, over runs, from injection to the last 503 answered. */
  lastUnavailableMs: number | null;
  /** Longest, over runs, from injection to the store serving every live session again. */
  recoveryMs: number | null;
  /** Acknowledged writes (canary sessions, created through the app's sessions) read back after. */
  writesChecked: number;
  /** ... and missing. */
  writesLost: number;
  /** ... missing although acknowledged long before the failure (bound 0). */
  writesLostOutsideWindow: number;
  /** What the scenario measured besides (one line per run). */
  notes: string[];
  examples: string[];
}

/** Zeroed figures for one failure scenario. */
export function emptyFailure(scenario: string): FailureFigures {
  return {
    scenario,
    runs: 0,
    requests: 0,
    served: 0,
    unavailable: 0,
    errors: 0,
    logouts: 0,
    firstSuccessMs: null,
    lastUnavailableMs: null,
    recoveryMs: null,
    writesChecked: 0,
    writesLost: 0,
    writesLostOutsideWindow: 0,
    notes: [],
    examples: [],
  };
}

/** What one lane counted. */
export interface LaneFigures {
  store: string;
  seconds: number;
  requests: number;
  byStatus: Record<string, number>;
  spuriousLogouts: number;
  spuriousExamples: string[];
  /** Stolen secrets still inside the reuse ring (at most three rotations old when replayed). */
  thefts: TheftFigures;
  /** Stolen secrets that may have left the ring: must be refused; revocation is not promised. */
  theftsBeyondRing: TheftFigures;
  revokeAll: { calls: number; sessionsChecked: number; aliveAfter: number };
  outage: { requests: number; not503: number; examples: string[] };
  restart: { sessionsChecked: number; lost: number; corrupted: number };
  freshCopies: { presented: number; freshAnswers: number };
  stepUps: number;
  stepUpThenNotFresh: number;
  lostResponses: number;
  clockSkippedMs: number;
  chaos: { slowWindows: number; refusals: number; restarts: number };
  /** The store's injected failures, by scenario. */
  failures: FailureFigures[];
  /** The policy checks run once the lane's load is over (session limit, guests, kill switch). */
  policies: PolicyFigures;
}

/** The policy checks of a lane, run over HTTP once its load is over. */
export interface PolicyFigures {
  /** Parallel logins of one user into a class limited to `limit` sessions. */
  limitLogins: number;
  limit: number;
  /** Sessions of that user beyond the limit once the logins answered (bound 0). */
  overLimit: number;
  /** Guests with a cart who logged in (the login upgrades the guest session). */
  guests: number;
  /** Of them, sessions whose cart did not reach the logged-in session (bound 0). */
  guestDataLost: number;
  /** Tokens presented after `revokeIssuedBefore(now)`: every device's, the guests' and fresh logins'. */
  revokedChecked: number;
  /** Of them, answered 2xx (bound 0). */
  aliveAfterGlobalRevoke: number;
  /** A login after the global revoke works (bound: true). */
  loginAfterRevoke: boolean;
  examples: string[];
}

const thefts = (): TheftFigures => ({
  replayed: 0,
  refused: 0,
  refusedAndRevoked: 0,
  accepted: 0,
  examples: [],
});

/** Zeroed figures for one lane. */
export function emptyFigures(store: string): LaneFigures {
  return {
    store,
    seconds: 0,
    requests: 0,
    byStatus: {},
    spuriousLogouts: 0,
    spuriousExamples: [],
    thefts: thefts(),
    theftsBeyondRing: thefts(),
    revokeAll: { calls: 0, sessionsChecked: 0, aliveAfter: 0 },
    outage: { requests: 0, not503: 0, examples: [] },
    restart: { sessionsChecked: 0, lost: 0, corrupted: 0 },
    freshCopies: { presented: 0, freshAnswers: 0 },
    stepUps: 0,
    stepUpThenNotFresh: 0,
    lostResponses: 0,
    clockSkippedMs: 0,
    chaos: { slowWindows: 0, refusals: 0, restarts: 0 },
    failures: [],
    policies: {
      limitLogins: 0,
      limit: 0,
      overLimit: 0,
      guests: 0,
      guestDataLost: 0,
      revokedChecked: 0,
      aliveAfterGlobalRevoke: 0,
      loginAfterRevoke: false,
      examples: [],
    },
  };
}

/** One figure of the issue, with its bound and whether it held. */
export interface Verdict {
  figure: string;
  value: string;
  bound: string;
  held: boolean;
}

const sum = (lanes: LaneFigures[], pick: (lane: LaneFigures) => number) =>
  lanes.reduce((total, lane) => total + pick(lane), 0);
const percent = (part: number, whole: number) =>
  whole === 0 ? "n/a" : `${((100 * part) / whole).toFixed(1)}%`;

/** The figures over all lanes, each checked against its bound. */
export function verdicts(lanes: LaneFigures[]): Verdict[] {
  const requests = sum(lanes, (l) => l.requests);
  const replayed = sum(lanes, (l) => l.thefts.replayed);
  const revoked = sum(lanes, (l) => l.thefts.refusedAndRevoked);
  const beyond = sum(lanes, (l) => l.theftsBeyondRing.replayed);
  const beyondRefused = sum(lanes, (l) => l.theftsBeyondRing.refused);
  const revokeAllChecked = sum(lanes, (l) => l.revokeAll.sessionsChecked);
  const outageRequests = sum(lanes, (l) => l.outage.requests);
  const restartChecked = sum(lanes, (l) => l.restart.sessionsChecked);
  const copies = sum(lanes, (l) => l.freshCopies.presented);
  const failures = lanes.flatMap((l) => l.failures);
  const failureErrors = failures.reduce((total, f) => total + f.errors, 0);
  const failureRequests = failures.reduce((total, f) => total + f.requests, 0);
  const lostOutside = failures.reduce((total, f) => total + f.writesLostOutsideWindow, 0);
  const lost = failures.reduce((total, f) => total + f.writesLost, 0);
  const writesChecked = failures.reduce((total, f) => total + f.writesChecked, 0);
  const limitLogins = sum(lanes, (l) => l.policies.limitLogins);
  const overLimit = sum(lanes, (l) => l.policies.overLimit);
  const guests = sum(lanes, (l) => l.policies.guests);
  const guestDataLost = sum(lanes, (l) => l.policies.guestDataLost);
  const revokedChecked = sum(lanes, (l) => l.policies.revokedChecked);
  const aliveAfterRevoke = sum(lanes, (l) => l.policies.aliveAfterGlobalRevoke);
  const list = [
    { figure: "requests served", value: String(requests), bound: "> 0", held: requests > 0 },
    {
      figure: "spurious logouts of honest users",
      value: String(sum(lanes, (l) => l.spuriousLogouts)),
      bound: "0",
      held: sum(lanes, (l) => l.spuriousLogouts) === 0,
    },
    {
      figure: "stolen-cookie replays after the victim moved on, refused and revoked",
      value: `${revoked} of ${replayed} (${percent(revoked, replayed)})`,
      bound: "100%, at least one replay",
      held: replayed > 0 && revoked === replayed,
    },
    {
      figure: "replays of secrets that may have left the reuse ring, refused",
      value: `${beyondRefused} of ${beyond} (${percent(beyondRefused, beyond)})`,
      bound: "100% (revocation not promised past the ring)",
      held: beyondRefused === beyond,
    },
    {
      figure: "sessions alive after a revokeAll",
      value: `${sum(lanes, (l) => l.revokeAll.aliveAfter)} of ${revokeAllChecked} checked`,
      bound: "0, at least one checked",
      held: revokeAllChecked > 0 && sum(lanes, (l) => l.revokeAll.aliveAfter) === 0,
    },
    {
      figure: "answers during a store outage that were not 503",
      value: `${sum(lanes, (l) => l.outage.not503)} of ${outageRequests}`,
      bound: "0, at least one request during an outage",
      held: outageRequests > 0 && sum(lanes, (l) => l.outage.not503) === 0,
    },
    {
      figure: "sessions lost or corrupted after a store restart",
      value: `${sum(lanes, (l) => l.restart.lost + l.restart.corrupted)} of ${restartChecked} compared`,
      bound: "0, at least one compared",
      held: restartChecked > 0 && sum(lanes, (l) => l.restart.lost + l.restart.corrupted) === 0,
    },
    {
      figure: "fresh answers to a pre-step-up copy",
      value: `${sum(lanes, (l) => l.freshCopies.freshAnswers)} of ${copies} presented`,
      bound: "0, at least one presented",
      held: copies > 0 && sum(lanes, (l) => l.freshCopies.freshAnswers) === 0,
    },
    {
      figure: "sessions over the limit after parallel logins",
      value: `${overLimit} (${limitLogins} parallel logins in ${lanes.length} lane(s))`,
      bound: "0, at least one round of logins",
      held: limitLogins > 0 && overLimit === 0,
    },
    {
      figure: "guest carts lost at the login that upgraded them",
      value: `${guestDataLost} of ${guests}`,
      bound: "0, at least one guest",
      held: guests > 0 && guestDataLost === 0,
    },
    {
      figure: "sessions alive after a global revoke (revokeIssuedBefore)",
      value: `${aliveAfterRevoke} of ${revokedChecked} presented`,
      bound: "0, at least one presented, and a new login works after it",
      held:
        revokedChecked > 0 &&
        aliveAfterRevoke === 0 &&
        lanes.every((l) => l.policies.limitLogins === 0 || l.policies.loginAfterRevoke),
    },
  ];
  if (failures.length === 0) return list;
  return [
    ...list,
    {
      figure: "answers during injected failures other than 2xx, 4xx or 503 with Retry-After",
      value: `${failureErrors} of ${failureRequests}`,
      bound: "0, every scenario run, recovered, with requests during it",
      held:
        failureErrors === 0 &&
        failures.every((f) => f.runs > 0 && f.requests > 0 && f.recoveryMs !== null),
    },
    {
      figure: "acknowledged writes lost to an injected failure, outside Redis's replication window",
      value: `${lostOutside} (${lost} of ${writesChecked} lost in all)`,
      bound: "0",
      held: lostOutside === 0,
    },
  ];
}

/** The results file: the figures, then the detail per store. */
export function renderResults(
  lanes: LaneFigures[],
  run: { durationSeconds: number; seed: number; startedAt: string; command: string },
): string {
  const checked = verdicts(lanes);
  const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  const lines = [
    "# Soak and chaos run",
    "",
    `\`${run.command}\`, started ${run.startedAt}, ${run.durationSeconds} s, seed ${run.seed}. ` +
      `${checked.every((v) => v.held) ? "Every figure held." : "SOME FIGURES BROKE THEIR BOUND."}`,
    "",
    row(["figure", "value", "bound", "held"]),
    row(["---", "---", "---", "---"]),
    ...checked.map((v) => row([v.figure, v.value, v.bound, v.held ? "yes" : "**NO**"])),
    "",
    "## Per store",
    "",
    row([
      "store",
      "requests",
      "503",
      "spurious logouts",
      "thefts revoked",
      "beyond ring refused",
      "revokeAll calls / checked / alive",
      "outage requests / not 503",
      "restart compared / lost / corrupted",
      "copies / fresh",
      "step-ups / then not fresh",
      "lost responses",
      "clock skipped (h)",
      "slow / refused / restarts",
      "over limit / carts lost / alive after global revoke",
    ]),
    row(Array.from({ length: 15 }, () => "---")),
    ...lanes.map((l) =>
      row([
        l.store,
        l.requests,
        l.byStatus["503"] ?? 0,
        l.spuriousLogouts,
        `${l.thefts.refusedAndRevoked} / ${l.thefts.replayed}`,
        `${l.theftsBeyondRing.refused} / ${l.theftsBeyondRing.replayed}`,
        `${l.revokeAll.calls} / ${l.revokeAll.sessionsChecked} / ${l.revokeAll.aliveAfter}`,
        `${l.outage.requests} / ${l.outage.not503}`,
        `${l.restart.sessionsChecked} / ${l.restart.lost} / ${l.restart.corrupted}`,
        `${l.freshCopies.presented} / ${l.freshCopies.freshAnswers}`,
        `${l.stepUps} / ${l.stepUpThenNotFresh}`,
        l.lostResponses,
        (l.clockSkippedMs / 3_600_000).toFixed(1),
        `${l.chaos.slowWindows} / ${l.chaos.refusals} / ${l.chaos.restarts}`,
        `${l.policies.overLimit} / ${l.policies.guestDataLost} / ${l.policies.aliveAfterGlobalRevoke}`,
      ]),
    ),
    "",
  ];
  const failures = lanes.flatMap((l) => l.failures.map((f) => ({ store: l.store, ...f })));
  if (failures.length > 0) {
    const ms = (value: number | null) => (value === null ? "-" : String(value));
    lines.push(
      "## Injected failures",
      "",
      "Requests sent from the moment the failure was injected until the scenario was over (the " +
        "store back and whatever it undid, such as a killed node rejoining) and at least one " +
        "second after the store served every live session again; times in ms from the injection " +
        "(answer times), the longest over runs.",
      "",
      row([
        "store",
        "failure",
        "runs",
        "requests / 2xx / 503",
        "other errors",
        "logouts",
        "first 2xx",
        "last 503",
        "recovered",
        "writes checked / lost / lost outside window",
      ]),
      row(Array.from({ length: 10 }, () => "---")),
      ...failures.map((f) =>
        row([
          f.store,
          f.scenario,
          f.runs,
          `${f.requests} / ${f.served} / ${f.unavailable}`,
          f.errors,
          f.logouts,
          ms(f.firstSuccessMs),
          ms(f.lastUnavailableMs),
          ms(f.recoveryMs),
          `${f.writesChecked} / ${f.writesLost} / ${f.writesLostOutsideWindow}`,
        ]),
      ),
      "",
      ...failures.flatMap((f) => f.notes.map((note) => `- ${f.store}, ${f.scenario}: ${note}`)),
      "",
    );
  }
  const problems = lanes.flatMap((l) =>
    [
      ...l.spuriousExamples,
      ...l.thefts.examples,
      ...l.outage.examples,
      ...l.failures.flatMap((f) => f.examples),
      ...l.policies.examples,
    ]
      .slice(0, 10)
      .map((example) => `- ${l.store}: ${example}`),
  );
  if (problems.length > 0) lines.push("## Examples of broken figures", "", ...problems, "");
  lines.push("See README.md for what each figure counts and how the run is built.", "");
  return lines.join("\n");
}
