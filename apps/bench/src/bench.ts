/**
 * `pnpm bench`: the whole suite in one command. Micro (CPU per operation), HTTP (throughput of
 * an authenticated route against every contender, with footprint from the same credentials)
 * and scale (validate and revokeAll as the store fills up). Writes the raw figures to
 * `.tmp/bench-<time>.json` and the report to `RESULTS.md` (full runs only; partial or quick
 * runs write `.tmp/RESULTS-partial.md`).
 *
 * Options: `--quick` (only the Tessera contenders on a store and their raw-read limits, short
 * rounds, and the ratio table), `--profile[=name,name]` (CPU profiles of contenders under load:
 * where the time goes), `BENCH_QUICK=1` (every section, a few seconds per contender),
 * `--only=micro,http,scale`, `--contenders=name,name` (their framework's ceiling and their limit
 * always run), `--scale-store=memory|redis`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Dynalite, startDynalite } from "./dynalite.js";
import {
  CEILINGS,
  type ContenderEntry,
  contenders,
  limitPairs,
  type Service,
} from "./http/registry.js";
import { BENCH_USER_AGENT, type HttpResults, type HttpSettings, runHttp } from "./http/run.js";
import { load1, machineInfo, packageVersions } from "./machine.js";
import { type MicroResults, runMicro } from "./micro.js";
import { runProfiles } from "./profile.js";
import { allocationTable, type BenchRun, limitTable, renderReport } from "./report.js";
import type { ScaleResults } from "./scale.js";
import {
  availableServices,
  createMysqlDatabase,
  createSchema,
  deleteRedisPrefix,
  dropMysqlDatabase,
  dropSchema,
  MYSQL_URL,
  PG_CONFIG,
  REDIS_URL,
  runId,
} from "./services.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TMP = join(ROOT, ".tmp");
const SECTIONS = ["micro", "http", "scale"] as const;
type Section = (typeof SECTIONS)[number];

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const flag = (name: string) => process.argv.includes(`--${name}`);
/** `--quick`: the Tessera contenders on a store and their limits only, short rounds. */
const limitsOnly = flag("quick");
const profiling = flag("profile") || argument("profile") !== undefined;
const quick = process.env.BENCH_QUICK === "1" || limitsOnly;
const only = (
  limitsOnly || profiling ? ["http"] : (argument("only")?.split(",") ?? [...SECTIONS])
) as Section[];
const wanted = (argument("contenders") ?? argument("profile"))?.split(",");
if (wanted) {
  const unknown = wanted.filter((name) => !contenders.some((c) => c.name === name));
  if (unknown.length) {
    console.error(`unknown contender(s): ${unknown.join(", ")}`);
    console.error(`known: ${contenders.map((c) => c.name).join(", ")}`);
    process.exit(2);
  }
}
const scaleStore = argument("scale-store") ?? "redis";
const started = Date.now();
const log = (line: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const httpSettings: HttpSettings = limitsOnly
  ? {
      connections: 64,
      warmupSeconds: 1,
      roundSeconds: 1.5,
      rounds: 3,
      schedule: "pairs",
      startConcurrency: 3,
      allocationRequests: 5000,
    }
  : quick
    ? {
        connections: 64,
        warmupSeconds: 1,
        roundSeconds: 1.5,
        rounds: 2,
        startConcurrency: 3,
        allocationRequests: 5000,
      }
    : {
        connections: 64,
        warmupSeconds: 3,
        roundSeconds: 4,
        rounds: 6,
        startConcurrency: 3,
        allocationRequests: 10_000,
      };
const profileSeconds = Number(argument("profile-seconds") ?? 10);

/**
 * The HTTP contenders this run loads. `--quick` and `--profile` without names: every Tessera
 * contender on a store and its limit (pairs, limit first). Named contenders bring their limit,
 * and (except for `--quick` and `--profile`) their framework's ceiling.
 */
function httpEntries(): ContenderEntry[] {
  const pairs = limitPairs();
  if (limitsOnly || profiling) {
    const chosen = wanted
      ? contenders.filter((c) => wanted.includes(c.name))
      : pairs.flatMap(([, tessera]) => [tessera]);
    const names = new Set(
      chosen.flatMap((c) => (c.limit && !profiling ? [c.limit, c.name] : [c.name])),
    );
    if (!wanted) for (const [limit] of pairs) names.add(limit.name);
    // Limit before contender, pairs in registry order.
    const ordered = pairs.flat().filter((c) => names.has(c.name));
    return [...new Set([...ordered, ...contenders.filter((c) => names.has(c.name))])];
  }
  if (!wanted) return contenders;
  const names = new Set(wanted);
  for (const c of contenders.filter((x) => names.has(x.name))) {
    names.add(CEILINGS[c.framework]);
    if (c.limit) names.add(c.limit);
  }
  return contenders.filter((c) => names.has(c.name));
}
const microSettings = quick ? { rounds: 2, cpuMs: 30 } : { rounds: 5, cpuMs: 150 };

const id = runId();
const pgSchema = `tessera_bench_${id}`;
const redisPrefix = `tessera-bench:${id}:`;
let schemaCreated = false;
let mysqlDatabaseCreated = false;
let usedRedis = false;
let dynalite: Dynalite | null = null;

async function cleanUp(): Promise<void> {
  await dynalite?.stop().catch((e) => log(`could not stop dynalite: ${e}`));
  if (schemaCreated)
    await dropSchema(pgSchema).catch((e) => log(`could not drop ${pgSchema}: ${e}`));
  if (mysqlDatabaseCreated)
    await dropMysqlDatabase(pgSchema).catch((e) => log(`could not drop ${pgSchema}: ${e}`));
  if (usedRedis) {
    await deleteRedisPrefix(redisPrefix).catch((e) =>
      log(`could not delete ${redisPrefix}*: ${e}`),
    );
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function runScaleChild(stamp: string): Promise<ScaleResults> {
  const out = join(TMP, `scale-${stamp}.json`);
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--expose-gc",
      "--max-old-space-size=8192",
      join(ROOT, "src/scale.ts"),
      `--store=${scaleStore}`,
      `--out=${out}`,
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "pipe"],
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    errors = (errors + text).slice(-4000);
    for (const line of text.split("\n").filter(Boolean)) log(line);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`scale run failed (exit ${code}): ${errors.split("\n").at(-2)}`);
  return JSON.parse(readFileSync(out, "utf8")) as ScaleResults;
}

mkdirSync(TMP, { recursive: true });
const stamp = new Date(started).toISOString().replace(/[:.]/g, "-");
const notes: string[] = [];
const loadStart = load1();
log(
  `start (${profiling ? "profile" : limitsOnly ? "--quick" : quick ? "quick" : "full"} run; load average ${loadStart}; sections ${only.join(", ")})`,
);
const machine = await machineInfo();
// SQLite runs in process: a file of the contender's own, always there.
const services: Record<Service, boolean> = {
  ...(await availableServices()),
  dynamodb: false,
  sqlite: true,
};
let micro: MicroResults | null = null;
let http: HttpResults | null = null;
let scale: ScaleResults | null = null;
try {
  if (only.includes("micro")) {
    micro = await runMicro(microSettings, log);
  }
  if (only.includes("http")) {
    const entries = httpEntries();
    if (entries.some((e) => e.needs.includes("dynamodb"))) {
      try {
        dynalite = await startDynalite();
        services.dynamodb = true;
        log(`dynalite up on ${dynalite.endpoint} (pid ${dynalite.pid})`);
      } catch (error) {
        log(`dynalite did not start: ${error instanceof Error ? error.message : error}`);
      }
    }
    const runnable = entries.filter((entry) => {
      const missing = entry.needs.filter((need) => !services[need]);
      if (missing.length)
        notes.push(`\`${entry.name}\` skipped: ${missing.join(", ")} not reachable`);
      return missing.length === 0;
    });
    if (services.postgres && runnable.some((e) => e.needs.includes("postgres"))) {
      await createSchema(pgSchema);
      schemaCreated = true;
    }
    if (services.mysql && runnable.some((e) => e.needs.includes("mysql"))) {
      await createMysqlDatabase(pgSchema);
      mysqlDatabaseCreated = true;
    }
    usedRedis = services.redis && runnable.some((e) => e.needs.includes("redis"));
    const context = {
      redisUrl: REDIS_URL,
      redisPrefix,
      pg: PG_CONFIG,
      pgSchema,
      mysql: { uri: MYSQL_URL, database: pgSchema },
      dynamodbEndpoint: dynalite?.endpoint ?? null,
      userId: "bench-user",
      client: { ip: "127.0.0.1", userAgent: BENCH_USER_AGENT },
    };
    if (profiling) {
      await runProfiles(
        runnable,
        context,
        {
          connections: 64,
          warmupSeconds: 2,
          seconds: profileSeconds,
          dir: join(TMP, "profiles"),
          stamp,
        },
        log,
      );
      await cleanUp();
      process.exit(0);
    }
    http = await runHttp(runnable, context, httpSettings, log);
  }
  if (only.includes("scale")) {
    try {
      scale = await runScaleChild(stamp);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      notes.push(`scale (\`${scaleStore}\` store) did not run: ${message}`);
      log(message);
    }
  }
} finally {
  await cleanUp();
}

const finished = Date.now();
const run: BenchRun = {
  startedAt: new Date(started).toISOString(),
  finishedAt: new Date(finished).toISOString(),
  seconds: (finished - started) / 1000,
  quick,
  command: `${process.env.BENCH_QUICK === "1" ? "BENCH_QUICK=1 " : ""}pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}`,
  machine,
  load: { start: loadStart, end: load1() },
  versions: packageVersions(),
  micro,
  http,
  scale,
  notes,
};
const jsonName = `bench-${stamp}.json`;
writeFileSync(join(TMP, jsonName), JSON.stringify(run, null, 2));
writeFileSync(join(TMP, "bench-latest.json"), JSON.stringify(run, null, 2));
const complete = !quick && !wanted && SECTIONS.every((s) => only.includes(s));
const reportPath = complete ? join(ROOT, "RESULTS.md") : join(TMP, "RESULTS-partial.md");
writeFileSync(reportPath, renderReport(run, jsonName));
if (limitsOnly && http) {
  const quickTable = [
    `Tessera against the raw read of its store (\`pnpm bench --quick\`, ${run.startedAt}, ` +
      `${http.settings.rounds} rounds of ${http.settings.roundSeconds} s, load average ${run.load.start} → ${run.load.end}):`,
    "",
    limitTable(http),
    ...(http.contenders.some((c) => c.allocation)
      ? [
          "",
          `Allocation per request (${http.settings.allocationRequests} requests sampled):`,
          "",
          allocationTable(http),
        ]
      : []),
    ...(notes.length ? ["", ...notes.map((n) => `- ${n}`)] : []),
    ...http.skipped.map((x) => `- \`${x.name}\` did not run: ${x.reason}`),
  ].join("\n");
  writeFileSync(join(TMP, "quick-latest.md"), `${quickTable}\n`);
  console.log(`\n${quickTable}\n`);
}
log(`done in ${Math.round(run.seconds)} s; load average ${run.load.end}`);
log(`report: ${reportPath}`);
log(`raw:    ${join(TMP, jsonName)}`);
