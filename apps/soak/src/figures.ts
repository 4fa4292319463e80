/** The figures a soak run must hold, per lane and in total, and the results file. */

/** Replays of stolen cookies after their victim moved on. */
export interface TheftFigures {
  replayed: number;
  refused: number;
  refusedAndRevoked: number;
  accepted: number;
  examples: string[];
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
  return [
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
    ]),
    row(Array.from({ length: 14 }, () => "---")),
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
      ]),
    ),
    "",
  ];
  const problems = lanes.flatMap((l) =>
    [...l.spuriousExamples, ...l.thefts.examples, ...l.outage.examples]
      .slice(0, 10)
      .map((example) => `- ${l.store}: ${example}`),
  );
  if (problems.length > 0) lines.push("## Examples of broken figures", "", ...problems, "");
  lines.push("See README.md for what each figure counts and how the run is built.", "");
  return lines.join("\n");
}
