/** Turns one run's JSON into the Markdown report (RESULTS.md). */
import type { HttpResults } from "./http/run.js";
import type { MachineInfo } from "./machine.js";
import type { MicroResults } from "./micro.js";
import type { ScaleResults } from "./scale.js";

/** Everything one `pnpm bench` run produced. */
export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  quick: boolean;
  command: string;
  machine: MachineInfo;
  load: { start: number; end: number };
  versions: Record<string, string>;
  micro: MicroResults | null;
  http: HttpResults | null;
  scale: ScaleResults | null;
  /** Sections not run, with why. */
  notes: string[];
}

/**
 * Ratios to bare Express 5 given in the issue and in DESIGN.md for this kind of machine (2
 * cores, server and autocannon side by side, 64 connections), for comparison.
 */
const REFERENCE: Record<string, string> = {
  "express-bare": "1.00 (~7,100 req/s)",
  "express-ioredis-get": "0.91 (0.91–0.95)",
  "express-pg-select": "0.57",
  "express-session-redis": "0.59 (0.59–0.65)",
  "lucia-postgres": "0.28",
  "better-auth-postgres": "0.09",
  "iron-session": "0.30 (0.27–0.30)",
  "jose-hs256": "0.51",
  "jose-es256": "0.49",
  "jose-eddsa": "0.56",
  "tessera-express-redis": "target ≥ 0.85",
  "tessera-express-postgres": "target ≥ 0.9 × raw SELECT",
};

/** Issue #17's targets, checked by the Targets table. */
export const TARGETS = {
  /** Tessera's throughput over its raw-read limit's, same store and framework, same round. */
  limitRatio: 0.9,
  /** Server CPU per request at most this many µs above the raw-read limit's. */
  cpuAboveLimitUs: 40,
  /** Core validate CPU with binding on (micro), in ns. */
  validateNs: 5000,
  /** Rotate-every-request throughput over bare (same framework, same round). */
  rotateRatio: 0.6,
  /** Redis bytes per session at 1M sessions (used_memory delta / sessions, index included). */
  redisBytesPerSession: 400,
  /** The store size the Redis bytes target is read at. */
  redisBytesAt: 1_000_000,
} as const;

/** Issue #29's targets (the hot path, second pass), checked by the second Targets table. */
export const TARGETS_29 = {
  /** Tessera + Redis over the raw ioredis GET, per framework, same round. */
  redisLimitRatio: { express: 0.9, hono: 0.85, fastify: 0.85 },
  /** Tessera + Postgres over the raw pg SELECT, every framework, same round. */
  postgresLimitRatio: 0.85,
  /** Tessera + DynamoDB: server CPU per request at most this many µs above the raw GetItem. */
  dynamodbCpuAboveLimitUs: 40,
  /** Rotate-every-request throughput over bare, same framework, same round. */
  rotateRatio: { hono: 0.35, fastify: 0.35 },
  /** Bytes allocated by the server per authenticated request (Hono + Redis), at most. */
  allocationBytes: 4000,
} as const;

const FRAMEWORKS = ["express", "hono", "fastify"] as const;
const STORE_NAME = {
  redis: "Redis",
  postgres: "Postgres",
  dynamodb: "DynamoDB (dynalite)",
  sqlite: "SQLite (better-sqlite3)",
} as const;
const RAW_READ = {
  redis: "raw ioredis GET",
  postgres: "raw pg SELECT",
  dynamodb: "raw GetItem",
  sqlite: "raw SQLite SELECT",
} as const;

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const bytes = (text: string) => Buffer.byteLength(text);

function micros(ns: number): string {
  if (!Number.isFinite(ns)) return "–";
  const us = ns / 1000;
  return us < 1 ? `${us.toFixed(3)} µs` : us < 100 ? `${us.toFixed(2)} µs` : `${us.toFixed(0)} µs`;
}

function table(head: string[], rows: string[][], align?: ("l" | "r")[]): string {
  const rule = head.map((_, i) => ((align?.[i] ?? "l") === "r" ? "---:" : "---"));
  return [head, rule, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

function verdicts(run: BenchRun): string[] {
  const lines: string[] = [];
  const tesseraRedis = run.http?.contenders.find((c) => c.name === "tessera-express-redis");
  lines.push(
    tesseraRedis && Number.isFinite(tesseraRedis.ratio)
      ? `- Tessera + Redis ≥ 0.85 of bare Express: **${fixed(tesseraRedis.ratio)}** ${tesseraRedis.ratio >= 0.85 ? "(met)" : "(NOT met)"}`
      : "- Tessera + Redis ≥ 0.85 of bare Express: not measured in this run (`tessera-express-redis` and `express-bare` did not both run).",
  );
  const validate = run.micro?.results.find(
    (r) => r.name === "Tessera validate (fixed-record store)",
  );
  if (validate) {
    const unbound = run.micro?.results.find((r) =>
      r.name.startsWith("Tessera validate, no client"),
    );
    lines.push(
      `- Core CPU per validate < 5 µs: **${micros(validate.ns)}** with binding on (default), ` +
        `${unbound ? micros(unbound.ns) : "–"} with no client info ${validate.ns < 5000 ? "(met)" : "(NOT met)"}`,
    );
  }
  const tessera = run.http?.contenders.find((c) => c.name === "tessera-core-memory");
  if (tessera?.credential) {
    const pair = tessera.credential.setCookie.split(";")[0]!;
    const value = pair.slice(pair.indexOf("=") + 1);
    lines.push(
      `- Cookie under 64 bytes: token **${bytes(value)} B**, \`${pair.slice(0, pair.indexOf("="))}=<token>\` ${bytes(pair)} B ${bytes(value) < 64 ? "(met for the token)" : "(NOT met)"}`,
    );
  }
  const levels = run.scale?.levels ?? [];
  if (levels.length >= 2) {
    const first = levels[0]!;
    const last = levels[levels.length - 1]!;
    const parts = first.revokeAllMs.map((r) => {
      const atLast = last.revokeAllMs.find((x) => x.userSessions === r.userSessions);
      return `${int(r.userSessions)} sessions: ${fixed(r.ms)} ms → ${fixed(atLast?.ms ?? Number.NaN)} ms`;
    });
    lines.push(
      `- revokeAll independent of the total (${run.scale?.store} store, ${int(first.stored)} → ${int(last.stored)} stored): ${parts.join("; ")}`,
    );
  }
  return lines;
}

const verdict = (met: boolean | null) =>
  met === null ? "not measured" : met ? "met" : "**not met**";

/**
 * Issue #17's targets as one table: each row the figure measured in this run and whether it
 * meets the target (rows whose section or contender did not run say so).
 */
export function targetsTable(run: BenchRun): string {
  const rows: string[][] = [];
  const contenders = run.http?.contenders ?? [];
  const find = (name: string) => contenders.find((c) => c.name === name);
  for (const store of ["redis", "postgres", "dynamodb", "sqlite"] as const) {
    for (const framework of FRAMEWORKS) {
      const name = `tessera-${framework}-${store}`;
      const c = find(name);
      if (!c && (store === "dynamodb" || store === "sqlite") && framework !== "express") continue;
      const target = `Tessera + ${STORE_NAME[store]} / ${RAW_READ[store]} ≥ ${TARGETS.limitRatio} (${framework})`;
      if (!c || !Number.isFinite(c.limitRatio)) {
        rows.push([
          target,
          `\`${name}\` / \`${c?.limit ?? `${framework}-…`}\``,
          "–",
          verdict(null),
        ]);
        continue;
      }
      rows.push([
        target,
        `\`${name}\` / \`${c.limit}\``,
        `${fixed(c.limitRatio)} (${fixed(c.limitRatioRange[0])}–${fixed(c.limitRatioRange[1])})`,
        verdict(c.limitRatio >= TARGETS.limitRatio),
      ]);
    }
  }
  for (const c of contenders.filter((x) => x.limit)) {
    const limit = find(c.limit!);
    const target = `server CPU ≤ raw read + ${TARGETS.cpuAboveLimitUs} µs (${c.framework}, ${c.name.split("-").at(-1)})`;
    if (!limit) {
      rows.push([target, `\`${c.name}\``, "–", verdict(null)]);
      continue;
    }
    const delta = c.serverCpuUs - limit.serverCpuUs;
    rows.push([
      target,
      `\`${c.name}\` − \`${limit.name}\``,
      `${delta >= 0 ? "+" : ""}${fixed(delta, 0)} µs (${fixed(c.serverCpuUs, 0)} vs ${fixed(limit.serverCpuUs, 0)})`,
      verdict(Number.isFinite(delta) ? delta <= TARGETS.cpuAboveLimitUs : null),
    ]);
  }
  const validate = run.micro?.results.find(
    (r) => r.name === "Tessera validate (fixed-record store)",
  );
  rows.push([
    `core validate < ${TARGETS.validateNs / 1000} µs CPU, binding on (micro)`,
    "Tessera validate (fixed-record store)",
    validate ? micros(validate.ns) : "–",
    verdict(validate ? validate.ns < TARGETS.validateNs : null),
  ]);
  const rotating = contenders.filter((c) => c.followsCookies);
  const rotatingNames = [
    "tessera-core-memory rotate-every-request",
    ...FRAMEWORKS.map((f) => `tessera-${f}-redis rotate-every-request`),
  ];
  for (const name of rotatingNames) {
    const c = rotating.find((x) => x.name === name);
    const framework = name.startsWith("tessera-core") ? "express" : name.split("-")[1]!;
    rows.push([
      `rotate-every-request ≥ ${TARGETS.rotateRatio} of bare (${name.startsWith("tessera-core") ? "core, MemoryStore" : `${framework}, Redis`})`,
      `\`${name}\` / \`${framework}-bare\``,
      c && Number.isFinite(c.ratio)
        ? `${fixed(c.ratio)} (${fixed(c.ratioRange[0])}–${fixed(c.ratioRange[1])})`
        : "–",
      verdict(c && Number.isFinite(c.ratio) ? c.ratio >= TARGETS.rotateRatio : null),
    ]);
  }
  const levels = run.scale?.store === "redis" ? run.scale.levels : [];
  const atTarget = levels.find((l) => l.stored === TARGETS.redisBytesAt);
  const largest = levels.at(-1);
  rows.push([
    `Redis < ${TARGETS.redisBytesPerSession} B per session at ${int(TARGETS.redisBytesAt)} sessions (used_memory delta / sessions, user index included)`,
    "scale section, `redis` store",
    atTarget
      ? `${int(atTarget.bytesPerSession)} B`
      : largest
        ? `${int(largest.bytesPerSession)} B at ${int(largest.stored)} (not at ${int(TARGETS.redisBytesAt)})`
        : "–",
    verdict(atTarget ? atTarget.bytesPerSession < TARGETS.redisBytesPerSession : null),
  ]);
  return table(["target", "figure", "measured", "verdict"], rows, ["l", "l", "r", "l"]);
}

/** Store writes that took effect, with the lost compare-and-swaps in brackets, or "–". */
function writesText(writes: { written: number; lost: number } | null | undefined): string {
  if (!writes) return "–";
  return writes.lost ? `${int(writes.written)} (${int(writes.lost)})` : int(writes.written);
}

/** A median ratio with its range, or "–". */
function ratioText(ratio: number, range: [number, number]): string {
  return Number.isFinite(ratio) ? `${fixed(ratio)} (${fixed(range[0])}–${fixed(range[1])})` : "–";
}

/**
 * Issue #29's targets as one table, each row the figure of this run and its verdict: the ratio
 * to the raw read per framework, DynamoDB's CPU, rotate-every-request on Hono and Fastify, the
 * allocation per request, 0 non-2xx from any client (no User-Agent, one session shared by 64
 * connections while it rotates) and Tessera ahead of every peer on each framework.
 */
export function targets29Table(run: BenchRun): string {
  const rows: string[][] = [];
  const contenders = run.http?.contenders ?? [];
  const find = (name: string) => contenders.find((c) => c.name === name);
  const limitRow = (name: string, limit: string, threshold: number, what: string) => {
    const c = find(name);
    const measured = c && Number.isFinite(c.limitRatio);
    rows.push([
      `${what} ≥ ${threshold}`,
      `\`${name}\` / \`${limit}\``,
      measured ? ratioText(c.limitRatio, c.limitRatioRange) : "–",
      verdict(measured ? c.limitRatio >= threshold : null),
    ]);
  };
  for (const framework of FRAMEWORKS) {
    limitRow(
      `tessera-${framework}-redis`,
      `${framework}-ioredis-get`,
      TARGETS_29.redisLimitRatio[framework],
      `Tessera + Redis / raw ioredis GET (${framework})`,
    );
  }
  for (const framework of FRAMEWORKS) {
    limitRow(
      `tessera-${framework}-postgres`,
      `${framework}-pg-select`,
      TARGETS_29.postgresLimitRatio,
      `Tessera + Postgres / raw pg SELECT (${framework})`,
    );
  }
  {
    const c = find("tessera-express-dynamodb");
    const limit = c?.limit ? find(c.limit) : undefined;
    const delta = c && limit ? c.serverCpuUs - limit.serverCpuUs : Number.NaN;
    rows.push([
      `Tessera + DynamoDB: server CPU ≤ raw GetItem + ${TARGETS_29.dynamodbCpuAboveLimitUs} µs (express)`,
      "`tessera-express-dynamodb` − `express-dynamodb-getitem`",
      Number.isFinite(delta)
        ? `${delta >= 0 ? "+" : ""}${fixed(delta, 0)} µs (${fixed(c!.serverCpuUs, 0)} vs ${fixed(limit!.serverCpuUs, 0)})`
        : "–",
      verdict(Number.isFinite(delta) ? delta <= TARGETS_29.dynamodbCpuAboveLimitUs : null),
    ]);
  }
  for (const framework of ["hono", "fastify"] as const) {
    const name = `tessera-${framework}-redis rotate-every-request`;
    const c = find(name);
    const measured = c && Number.isFinite(c.ratio);
    rows.push([
      `rotate-every-request ≥ ${TARGETS_29.rotateRatio[framework]} of bare (${framework}, Redis)`,
      `\`${name}\` / \`${framework}-bare\``,
      measured ? ratioText(c.ratio, c.ratioRange) : "–",
      verdict(measured ? c.ratio >= TARGETS_29.rotateRatio[framework] : null),
    ]);
  }
  {
    // The whole server allocates; the session's share is what it adds over bare Hono.
    const tessera = find("tessera-hono-redis")?.allocation;
    const raw = find("hono-ioredis-get")?.allocation;
    const bare = find("hono-bare")?.allocation;
    const over = tessera && bare ? tessera.bytesPerRequest - bare.bytesPerRequest : null;
    rows.push([
      `allocation ≤ ${TARGETS_29.allocationBytes / 1000} kB/request (hono, redis), over bare Hono`,
      "`tessera-hono-redis` − `hono-bare`, sampling heap profiler",
      over === null
        ? "–"
        : `${int(over)} B (Tessera ${int(tessera!.bytesPerRequest)}, ` +
          `${raw ? `raw GET ${int(raw.bytesPerRequest)} (+${int(raw.bytesPerRequest - bare!.bytesPerRequest)}), ` : ""}` +
          `bare ${int(bare!.bytesPerRequest)})`,
      verdict(over === null ? null : over <= TARGETS_29.allocationBytes),
    ]);
  }
  for (const c of contenders.filter((x) => x.name.includes("no-user-agent"))) {
    const writes = c.storeWrites;
    rows.push([
      `no User-Agent from the client: 0 non-2xx, 0 store writes (${c.framework}${c.name.endsWith("(created without)") ? ", created without one" : ", created with one"})`,
      `\`${c.name}\``,
      `${int(c.non2xx)} non-2xx / ${int(c.errors)} errors, ${writesText(writes)} writes`,
      verdict(c.non2xx + c.errors === 0 && writes !== null && writes.written + writes.lost === 0),
    ]);
  }
  for (const c of contenders.filter((x) => x.name.includes("shared-session rotating"))) {
    rows.push([
      `one session, ${run.http?.settings.connections ?? 64} connections, rotation due every few seconds: 0 non-2xx (${c.framework})`,
      `\`${c.name}\``,
      `${int(c.non2xx)} non-2xx / ${int(c.errors)} errors (store writes: ${writesText(c.storeWrites)})`,
      verdict(c.non2xx + c.errors === 0),
    ]);
  }
  for (const framework of FRAMEWORKS) {
    const tessera = find(`tessera-${framework}-redis`);
    const peers = contenders.filter((c) => c.framework === framework && c.peer === true);
    const measured = tessera && Number.isFinite(tessera.ratio) && peers.length > 0;
    const ahead = measured ? peers.filter((p) => p.ratio > tessera.ratio) : [];
    rows.push([
      `Tessera + Redis ahead of every peer (${framework}, ratio to bare)`,
      `\`tessera-${framework}-redis\` vs ${peers.length ? peers.map((p) => `\`${p.name}\``).join(", ") : "no peer measured"}`,
      measured
        ? ahead.length
          ? `${fixed(tessera.ratio)}; ahead of it: ${ahead.map((p) => `\`${p.name}\` ${fixed(p.ratio)}`).join(", ")}`
          : `${fixed(tessera.ratio)}; best peer ${fixed(Math.max(...peers.map((p) => p.ratio)))}`
        : "–",
      verdict(measured ? ahead.length === 0 : null),
    ]);
  }
  return table(["target", "figure", "measured", "verdict"], rows, ["l", "l", "r", "l"]);
}

/**
 * The bytes each server allocates per request, for the contenders marked `allocation` (V8's
 * sampling heap profiler in the server's process over a fixed number of requests), with the
 * difference to its framework's bare server.
 */
export function allocationTable(http: HttpResults): string {
  const byName = new Map(http.contenders.map((c) => [c.name, c]));
  const signed = (n: number) => `${n >= 0 ? "+" : ""}${int(n)}`;
  const rows = http.contenders
    .filter((c) => c.allocation)
    .map((c) => {
      const a = c.allocation!;
      const bare = byName.get(c.ceiling)?.allocation;
      const limit = c.limit ? byName.get(c.limit)?.allocation : undefined;
      return [
        `\`${c.name}\``,
        int(a.bytesPerRequest),
        bare && c.name !== c.ceiling ? signed(a.bytesPerRequest - bare.bytesPerRequest) : "–",
        limit ? `${signed(a.bytesPerRequest - limit.bytesPerRequest)} (\`${c.limit}\`)` : "–",
        int(a.requests),
        String(a.non2xx),
      ];
    });
  return table(
    [
      "contender",
      "B allocated / request",
      "Δ over its framework's bare",
      "Δ over its raw read",
      "requests sampled",
      "non-2xx",
    ],
    rows,
    ["l", "r", "r", "r", "r", "r"],
  );
}

/**
 * Each Tessera contender on a store against its raw-read limit (same store, same framework,
 * same rounds): throughput ratio and the server CPU it adds. What `pnpm bench --quick` prints.
 */
export function limitTable(http: HttpResults): string {
  const byName = new Map(http.contenders.map((c) => [c.name, c]));
  const rows: string[][] = [];
  for (const c of http.contenders) {
    const limit = c.limit ? byName.get(c.limit) : undefined;
    if (!limit) continue;
    const delta = c.serverCpuUs - limit.serverCpuUs;
    rows.push([
      `\`${c.name}\``,
      int(c.rps),
      `\`${limit.name}\``,
      int(limit.rps),
      `**${fixed(c.limitRatio)}** (${fixed(c.limitRatioRange[0])}–${fixed(c.limitRatioRange[1])})`,
      fixed(c.serverCpuUs, 0),
      fixed(limit.serverCpuUs, 0),
      `${delta >= 0 ? "+" : ""}${fixed(delta, 0)}`,
    ]);
  }
  return table(
    [
      "contender",
      "req/s",
      "raw-read limit",
      "limit req/s",
      `ratio to limit (target ≥ ${TARGETS.limitRatio})`,
      "server CPU µs / req",
      "limit CPU µs / req",
      `Δ CPU µs (target ≤ ${TARGETS.cpuAboveLimitUs})`,
    ],
    rows,
    ["l", "r", "l", "r", "r", "r", "r", "r"],
  );
}

function httpSection(http: HttpResults): string {
  const s = http.settings;
  const rows = http.contenders.map((c) => [
    `\`${c.name}\``,
    c.label,
    `${int(c.rps)} (${int(c.rpsRange[0])}–${int(c.rpsRange[1])})`,
    Number.isFinite(c.ratio)
      ? `**${fixed(c.ratio)}** (${fixed(c.ratioRange[0])}–${fixed(c.ratioRange[1])})`
      : "–",
    `${fixed(c.p50, 0)} / ${fixed(c.p99, 0)}`,
    fixed(c.serverCpuUs, 0),
    c.non2xx + c.errors === 0 ? "0" : `**${c.non2xx} / ${c.errors}**`,
    writesText(c.storeWrites),
    REFERENCE[c.name] ?? "",
  ]);
  const skipped = http.skipped.map((x) => `- \`${x.name}\` did not run: ${x.reason}`);
  return [
    "## HTTP: throughput of an authenticated route",
    "",
    `\`GET /me\` with a valid credential, ${s.connections} connections, autocannon in the bench process and each server in its own child process (NODE_ENV=production) on loopback. ` +
      `Warm-up ${s.warmupSeconds} s per contender, then ${s.rounds} rounds of ${s.roundSeconds} s, contenders interleaved (order rotated each round). ` +
      "req/s counts 2xx answers only; figures are medians over rounds with the range in brackets; the ratio is taken against the bare server of the contender's own framework (Express 5, Hono on @hono/node-server or Fastify 5) in the same round. " +
      "Server CPU is the CPU time the contender's server process used per request (its database server's CPU not included): unlike req/s, it barely moves with other load on the machine.",
    "",
    table(
      [
        "contender",
        "what it does per request",
        "req/s",
        "ratio to its framework's bare",
        "p50 / p99 ms",
        "server CPU µs / req",
        "non-2xx / errors",
        "store writes (lost CAS)",
        "reference ratio",
      ],
      rows,
      ["l", "l", "r", "r", "r", "r", "r", "r", "l"],
    ),
    ...(skipped.length ? ["", ...skipped] : []),
    "",
    "### Against the raw read of the same store",
    "",
    "Each Tessera contender on a store against its limit: one raw read of that store (a hand-rolled session: a random id in a cookie), on the same framework, in the same rounds. " +
      "The ratio is the median over rounds of Tessera's req/s over the limit's in that round; Δ CPU is the difference of the medians of server CPU per request.",
    "",
    limitTable(http),
    ...(http.contenders.some((c) => c.allocation)
      ? [
          "",
          "### Allocation per request",
          "",
          `After the rounds, each contender below serves ${int(http.settings.allocationRequests ?? 0)} more requests (${s.connections} connections) while V8's sampling heap profiler runs in its server process (a sample every 1 KiB allocated on average, objects already collected by either GC included); the bytes it accounts for, divided by the requests answered. ` +
            "It is the whole server's allocation, Node's HTTP parsing and the framework's request and response included; the difference to the bare server of the same framework is what the session costs.",
          "",
          allocationTable(http),
        ]
      : []),
    "",
    `Load average (1 min) at the end of each round: ${http.roundLoad.join(", ")}.`,
    "",
    "Reference ratios are the figures from the issue and DESIGN.md for this kind of machine. " +
      "`rotate-every-request` contenders give each connection its own session and follow every Set-Cookie, which also costs the load generator a request rebuild per request.",
  ].join("\n");
}

function footprintSection(http: HttpResults): string {
  const rows = http.contenders
    .filter((c) => c.credential && c.credential.setCookie !== "")
    .map((c) => {
      const credential = c.credential!;
      const pair = credential.setCookie.split(";")[0]!;
      return [
        `\`${c.name}\``,
        String(bytes(pair.slice(pair.indexOf("=") + 1))),
        String(bytes(pair)),
        String(bytes(credential.setCookie)),
        credential.storedBytes === null ? "–" : String(credential.storedBytes),
        credential.storedHow ?? "no store",
      ];
    });
  return [
    "## Footprint",
    "",
    "Measured from the real credential each library emitted at login (its own Set-Cookie, secure production settings) and from its store right after. " +
      "The Cookie request header carries `name=value` on every request.",
    "",
    table(
      [
        "contender",
        "cookie value B",
        "name=value B (per request)",
        "Set-Cookie B",
        "stored B",
        "stored, measured as",
      ],
      rows,
      ["l", "r", "r", "r", "r", "l"],
    ),
  ].join("\n");
}

function microSection(micro: MicroResults): string {
  const parts = ["## Micro: CPU per operation", ""];
  parts.push(
    "mitata, process CPU time (user + system) per operation, median of the per-round p50; ratio = median of (task / the group's first task) within each round. " +
      "Zero-latency stores: Tessera's `get` returns a copy of one fixed record, Lucia's adapter answers from memory.",
  );
  for (const group of micro.groups) {
    const rows = micro.results
      .filter((r) => r.group === group.name)
      .map((r) => [r.name, micros(r.ns), fixed(r.ratio)]);
    parts.push(
      "",
      `### ${group.name}`,
      "",
      `${group.note}.`,
      "",
      table(["task", "CPU / op", "ratio"], rows, ["l", "r", "r"]),
    );
  }
  return parts.join("\n");
}

function scaleSection(scale: ScaleResults): string {
  const sizes = scale.settings.revokeUserSizes;
  const rows = scale.levels.map((level) => [
    int(level.stored),
    `${int(level.validatesPerSecond)}${level.validateFailures ? ` (**${level.validateFailures} failed**)` : ""}`,
    int(level.bytesPerSession),
    ...sizes.map((n) =>
      fixed(level.revokeAllMs.find((r) => r.userSessions === n)?.ms ?? Number.NaN, 3),
    ),
    fixed(level.fillSeconds, 1),
  ]);
  return [
    "## Scale",
    "",
    `Store: \`${scale.store}\`. validate throughput with ${scale.settings.concurrency} validates in flight, each on a session picked at random among all stored, for ${scale.settings.validateSeconds} s; ` +
      `memory: ${scale.memoryHow}, divided by the sessions stored; store filled with copies of one real session's record (own id and user); ` +
      `revokeAll: median of ${scale.settings.revokeRepeats} runs for one user with that many sessions among all the others.`,
    "",
    table(
      [
        "stored sessions",
        "validates/s",
        "B / session",
        ...sizes.map((n) => `revokeAll ${int(n)} (ms)`),
        "fill (s)",
      ],
      rows,
      ["r", "r", "r", ...sizes.map(() => "r" as const), "r"],
    ),
  ].join("\n");
}

/** The Markdown report of one run. */
export function renderReport(run: BenchRun, jsonName: string): string {
  const m = run.machine;
  const versions = Object.entries(run.versions).map(([name, version]) => `\`${name}\` ${version}`);
  const sections = [
    "# Tessera benchmark results",
    "",
    `Produced by \`${run.command}\`${run.quick ? " (a short run: indicative only)" : ""} on ${run.startedAt.slice(0, 10)}, in ${Math.round(run.seconds)} s. ` +
      `Raw figures: \`apps/bench/.tmp/${jsonName}\` (not committed). How to read them: [README](./README.md#method).`,
    "",
    "## Machine",
    "",
    table(
      ["", ""],
      [
        ["CPU", m.cpu],
        ["cores", String(m.cores)],
        ["memory", `${m.memoryGiB} GiB`],
        ["Node", m.node],
        ["OS", m.os],
        ["Redis", m.redis ?? "not reachable"],
        ["PostgreSQL", m.postgres ?? "not reachable"],
        ["load average (1 min) at start / end", `${run.load.start} / ${run.load.end}`],
      ],
    ),
    "",
    `Packages: ${versions.join(", ")}.`,
    "",
    "## Targets",
    "",
    "Issue #17's targets, each figure from this run. Ratios are taken within a round (see [Method](./README.md#method)); on a loaded machine the CPU figures are the steadier ones.",
    "",
    targetsTable(run),
    "",
    "Issue #29's targets (the hot path, second pass). A peer is another library a user would pick instead, on the same framework (marked in the registry); \"ahead\" compares ratios to the framework's bare server in the same rounds.",
    "",
    targets29Table(run),
    "",
    "## Earlier targets",
    "",
    ...verdicts(run),
  ];
  if (run.http) sections.push("", httpSection(run.http), "", footprintSection(run.http));
  if (run.micro) sections.push("", microSection(run.micro));
  if (run.scale) sections.push("", scaleSection(run.scale));
  if (run.notes.length) sections.push("", "## Notes", "", ...run.notes.map((n) => `- ${n}`));
  return `${sections.join("\n")}\n`;
}
