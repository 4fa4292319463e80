/**
 * `pnpm bench --profile[=name,name]`: where a contender's server spends its CPU under load. Each
 * contender runs alone, its server under `node --cpu-prof` (V8's sampling profiler), through a
 * warm-up and then one load run of `--profile-seconds` (default 10). Only the samples taken
 * during that load run count: the child reports its monotonic clock, which is the clock the
 * profiler stamps its samples with, at the start and the end of the run. Self time is grouped by
 * what it belongs to (the framework, `@tessera/*`, the store client, Node's internals, GC) and
 * divided by the requests answered, so each figure is µs of server CPU per request, comparable
 * with the report's server-CPU column.
 *
 * Writes, under `.tmp/profiles/<time>/`: each contender's whole `.cpuprofile` (open it in Chrome
 * DevTools), its summary as JSON, and `where-the-time-goes.md` with a table per contender and
 * one table of all of them, to paste into the README.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext } from "./http/contender.js";
import type { ContenderEntry } from "./http/registry.js";
import { loadContender, startContenders } from "./http/run.js";

/** Settings of a profile run. */
export interface ProfileSettings {
  connections: number;
  warmupSeconds: number;
  /** Length of the profiled load run. */
  seconds: number;
  /** Where profiles go (a folder per run is made under it). */
  dir: string;
  /** The run's time stamp (names the folder). */
  stamp: string;
  /** Sampling interval in µs. Default 250. */
  intervalUs?: number;
}

/** What self time is grouped into. */
export const CATEGORIES = [
  "framework",
  "@tessera/*",
  "store client",
  "contender code",
  "node internals",
  "native (I/O bindings, V8 builtins)",
  "GC",
  "other",
] as const;
export type Category = (typeof CATEGORIES)[number];
const NATIVE: Category = "native (I/O bindings, V8 builtins)";

/** One contender's profile, summarised. */
export interface ProfileSummary {
  name: string;
  requests: number;
  rps: number;
  /** Server CPU per request measured by `process.cpuUsage` over the same run. */
  serverCpuUs: number;
  /**
   * Non-idle time the samples cover, per request. A sample's interval is wall time: on a loaded
   * machine it includes time the thread waited for a core, so this can exceed `serverCpuUs`.
   */
  sampledUs: number;
  /** Idle time per request (waiting for the network, the store). */
  idleUs: number;
  /**
   * µs of server CPU per request by category: each category's share of the non-idle samples
   * times `serverCpuUs` (the samples give the split, `process.cpuUsage` the total).
   */
  byCategory: Record<Category, number>;
  /** µs per request by package or file (`express`, `@tessera/core`, `node:_http_server`...). */
  byGroup: { group: string; category: Category; us: number }[];
  /** µs per request by function, the top ones. */
  topFunctions: { name: string; where: string; category: Category; us: number }[];
  profileFile: string;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The store clients' packages (and what they pull in on the hot path). */
const STORE_CLIENT = [
  /^ioredis$/,
  /^@ioredis\//,
  /^redis-parser$/,
  /^redis-errors$/,
  /^denque$/,
  /^cluster-key-slot$/,
  /^standard-as-callback$/,
  /^lodash\./,
  /^pg/,
  /^postgres-/,
  /^split2$/,
  /^drizzle-orm$/,
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@aws-crypto\//,
  /^tslib$/,
  /^fast-xml-parser$/,
  /^strnum$/,
  /^bowser$/,
];
/** Tessera's own dependencies (SHA-256, base32): counted with `@tessera/*`. */
const TESSERA_DEPENDENCIES = [/^@oslojs\//];
/** Packages only the bench's own contender code calls. */
const CONTENDER_PACKAGES = [/^cookie$/];

/** What a sampled function belongs to: its category and its group (package, file or module). */
export function classify(frame: CallFrame): { category: Category; group: string } | null {
  const { functionName, url } = frame;
  if (functionName === "(root)" || functionName === "(idle)") return null;
  if (functionName === "(garbage collector)")
    return { category: "GC", group: "(garbage collector)" };
  // Functions without a script: Node's C++ bindings (socket writes and reads), V8's builtins
  // (JSON, RegExp, microtasks), and `(program)` for native code V8 cannot attribute.
  if (functionName === "(program)") return { category: NATIVE, group: "(program)" };
  if (!url) return { category: NATIVE, group: `(native) ${functionName || "(anonymous)"}` };
  if (url.startsWith("node:")) return { category: "node internals", group: url };
  const path = decodeURIComponent(url.replace(/^file:\/\//, ""));
  const modules = path.lastIndexOf("/node_modules/");
  if (modules !== -1) {
    const rest = path.slice(modules + "/node_modules/".length).split("/");
    const pkg = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
    if (pkg === "tsx") return { category: "other", group: "tsx (loader)" };
    if (STORE_CLIENT.some((re) => re.test(pkg))) return { category: "store client", group: pkg };
    if (TESSERA_DEPENDENCIES.some((re) => re.test(pkg)))
      return { category: "@tessera/*", group: pkg };
    if (CONTENDER_PACKAGES.some((re) => re.test(pkg)))
      return { category: "contender code", group: pkg };
    return { category: "framework", group: pkg };
  }
  const workspace = /\/packages\/([^/]+)\/(.*)$/.exec(path);
  if (workspace) return { category: "@tessera/*", group: `@tessera/${workspace[1]}` };
  const bench = /\/apps\/bench\/(.*)$/.exec(path);
  if (bench) return { category: "contender code", group: `apps/bench/${bench[1]}` };
  return { category: "other", group: path };
}

/** Summarises the samples of `profile` taken between `from` and `to` (µs, profiler clock). */
export function summarise(
  profile: CpuProfile,
  from: number,
  to: number,
  requests: number,
): Omit<ProfileSummary, "name" | "rps" | "serverCpuUs" | "profileFile" | "requests"> {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<number, number>();
  let idle = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const next = at + (profile.timeDeltas[i + 1] ?? 0);
    if (at < from || at > to) continue;
    const id = profile.samples[i]!;
    const spent = next - at;
    if (frames.get(id)?.functionName === "(idle)") idle += spent;
    else self.set(id, (self.get(id) ?? 0) + spent);
  }
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const groups = new Map<string, { category: Category; us: number }>();
  const functions = new Map<
    string,
    { name: string; where: string; category: Category; us: number }
  >();
  let sampled = 0;
  for (const [id, us] of self) {
    const frame = frames.get(id)!;
    const kind = classify(frame);
    if (!kind) continue;
    const perRequest = us / requests;
    sampled += perRequest;
    byCategory[kind.category] += perRequest;
    const group = groups.get(kind.group) ?? { category: kind.category, us: 0 };
    group.us += perRequest;
    groups.set(kind.group, group);
    const where = frame.url
      ? `${kind.group === frame.url ? frame.url : kind.group}:${frame.lineNumber + 1}`
      : kind.group;
    const key = `${frame.functionName}@${where}`;
    const fn = functions.get(key) ?? {
      name: frame.functionName || "(anonymous)",
      where,
      category: kind.category,
      us: 0,
    };
    fn.us += perRequest;
    functions.set(key, fn);
  }
  return {
    sampledUs: sampled,
    idleUs: idle / requests,
    byCategory,
    byGroup: [...groups.entries()]
      .map(([group, g]) => ({ group, ...g }))
      .sort((a, b) => b.us - a.us),
    topFunctions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, 15),
  };
}

/** The main thread's profile in `dir` (Node names it `CPU.<date>.<time>.<pid>.<thread>.<n>`). */
function mainThreadProfile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  const main = files.find((f) => f.split(".")[4] === "0");
  const chosen =
    main ?? files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  if (!chosen) throw new Error(`no .cpuprofile written in ${dir}`);
  return join(dir, chosen);
}

const us = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const share = (n: number, total: number) => (total > 0 ? `${Math.round((100 * n) / total)}%` : "–");

function table(head: string[], rows: string[][]): string {
  const rule = head.map((_, i) => (i === 0 ? "---" : "---:"));
  return [head, rule, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** The Markdown of one contender's profile. */
export function contenderMarkdown(s: ProfileSummary): string {
  return [
    `### \`${s.name}\``,
    "",
    `${Math.round(s.rps).toLocaleString("en-US")} req/s over the profiled run; server CPU ${us(s.serverCpuUs)} µs / request by \`process.cpuUsage\`, split by the samples (${us(s.sampledUs)} µs of non-idle samples per request, ${us(s.idleUs)} µs idle). Profile: \`${s.profileFile}\`.`,
    "",
    table(
      ["self time by category", "µs / req", "share"],
      CATEGORIES.filter((c) => s.byCategory[c] > 0).map((c) => [
        c,
        us(s.byCategory[c]),
        share(s.byCategory[c], s.serverCpuUs),
      ]),
    ),
    "",
    table(
      ["package / file", "category", "µs / req", "share"],
      s.byGroup
        .slice(0, 15)
        .map((g) => [`\`${g.group}\``, g.category, us(g.us), share(g.us, s.serverCpuUs)]),
    ),
    "",
    table(
      ["function (self)", "where", "µs / req"],
      s.topFunctions.map((f) => [`\`${f.name}\``, `\`${f.where}\``, us(f.us)]),
    ),
  ].join("\n");
}

/** One table of every profiled contender: µs per request by category (rows) and contender. */
export function overviewMarkdown(summaries: ProfileSummary[]): string {
  const head = ["µs / request", ...summaries.map((s) => `\`${s.name}\``)];
  const rows = CATEGORIES.filter((c) => summaries.some((s) => s.byCategory[c] > 0.05)).map((c) => [
    c,
    ...summaries.map((s) => us(s.byCategory[c])),
  ]);
  rows.push(["**server CPU (total)**", ...summaries.map((s) => `**${us(s.serverCpuUs)}**`)]);
  rows.push([
    "req/s while profiled",
    ...summaries.map((s) => Math.round(s.rps).toLocaleString("en-US")),
  ]);
  return table(head, rows);
}

/** Profiles each of `entries` in turn and writes the summaries. */
export async function runProfiles(
  entries: ContenderEntry[],
  context: Omit<BenchContext, "options">,
  settings: ProfileSettings,
  log: (line: string) => void,
): Promise<ProfileSummary[]> {
  const root = join(settings.dir, settings.stamp);
  mkdirSync(root, { recursive: true });
  const summaries: ProfileSummary[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const dir = join(root, entry.name.replace(/[^A-Za-z0-9_-]+/g, "_"));
    mkdirSync(dir, { recursive: true });
    const { ready, skipped: failed } = await startContenders(
      [entry],
      context,
      { connections: settings.connections },
      log,
      {
        execArgv: [
          "--cpu-prof",
          `--cpu-prof-dir=${dir}`,
          `--cpu-prof-interval=${settings.intervalUs ?? 250}`,
        ],
        // Writing the profile at exit takes a moment for a long run.
        stopWaitMs: 60_000,
      },
    );
    const r = ready[0];
    if (!r) {
      skipped.push(`\`${entry.name}\`: ${failed[0]?.reason ?? "did not start"}`);
      continue;
    }
    let result: Awaited<ReturnType<typeof loadContender>>;
    let from: number;
    let to: number;
    try {
      await loadContender(r, settings.warmupSeconds, settings.connections);
      from = await r.server.clock();
      result = await loadContender(r, settings.seconds, settings.connections);
      to = await r.server.clock();
    } finally {
      await r.server.stop();
    }
    const file = mainThreadProfile(dir);
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    if (to < profile.startTime || from > profile.endTime) {
      throw new Error(`${entry.name}: the load window is outside the profile's clock range`);
    }
    const requests = result.ok + result.non2xx;
    const sampled = summarise(profile, from, to, requests);
    // The samples give the split; the measured CPU per request gives the total.
    const factor = sampled.sampledUs > 0 ? result.serverCpuUs / sampled.sampledUs : 0;
    const summary: ProfileSummary = {
      name: entry.name,
      requests,
      rps: result.rps,
      serverCpuUs: result.serverCpuUs,
      profileFile: file,
      sampledUs: sampled.sampledUs,
      idleUs: sampled.idleUs,
      byCategory: Object.fromEntries(
        Object.entries(sampled.byCategory).map(([c, v]) => [c, v * factor]),
      ) as Record<Category, number>,
      byGroup: sampled.byGroup.map((g) => ({ ...g, us: g.us * factor })),
      topFunctions: sampled.topFunctions.map((f) => ({ ...f, us: f.us * factor })),
    };
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2));
    summaries.push(summary);
    log(
      `profile: ${entry.name}: ${Math.round(result.rps)} req/s, ${us(result.serverCpuUs)} µs CPU per request (${CATEGORIES.filter(
        (c) => summary.byCategory[c] >= 1,
      )
        .map((c) => `${c} ${us(summary.byCategory[c])}`)
        .join(", ")})`,
    );
  }
  const overview = overviewMarkdown(summaries);
  const markdown = [
    "# Where the time goes",
    "",
    `\`pnpm bench --profile\`, ${new Date().toISOString()}: each contender alone, ${settings.connections} connections, ` +
      `a ${settings.warmupSeconds} s warm-up, then ${settings.seconds} s under \`node --cpu-prof\` ` +
      `(sampling every ${settings.intervalUs ?? 250} µs). Self time of the samples taken during that run, ` +
      "grouped by what the function belongs to. Each group's share of the samples is multiplied by the server's CPU per request over the same run (`process.cpuUsage`), " +
      "so the figures are µs of server CPU per request and add up to the report's server-CPU column; the samples measure wall time, which a loaded machine stretches, so only their split is used. " +
      "`framework`: the framework and its dependencies; `store client`: ioredis, pg, drizzle, the AWS SDK; " +
      "`@tessera/*`: Tessera's packages and their dependencies (@oslojs); " +
      "`contender code`: the bench's own route and cookie parsing; `node internals`: `node:` modules (HTTP, streams, net); " +
      "`native`: functions without a script, i.e. Node's C++ bindings (the socket writes: `writev`, `writeUtf8String`), V8's builtins (JSON, RegExp, microtasks) and `(program)`. " +
      "`process.cpuUsage` also counts the process's other threads (GC helpers, the profiler's own sampling), which the split spreads over the groups.",
    "",
    overview,
    ...(skipped.length ? ["", ...skipped.map((s) => `- skipped ${s}`)] : []),
    "",
    ...summaries.flatMap((s) => [contenderMarkdown(s), ""]),
  ].join("\n");
  const out = join(root, "where-the-time-goes.md");
  writeFileSync(out, markdown);
  writeFileSync(join(settings.dir, "where-the-time-goes-latest.md"), markdown);
  console.log(`\n${overview}\n`);
  log(`profile: summary in ${out}`);
  return summaries;
}
