/**
 * `pnpm bench`: the whole suite in one command. Micro (CPU per operation), HTTP (throughput of
 * an authenticated route against every contender, with footprint from the same credentials)
 * and scale (validate and revokeAll as the store fills up). Writes the raw figures to
 * `.tmp/bench-<time>.json` and the report to `RESULTS.md` (full runs only; partial or quick
 * runs write `.tmp/RESULTS-partial.md`).
 *
 * Options: `BENCH_QUICK=1` (a few seconds per contender), `--only=micro,http,scale`,
 * `--contenders=name,name` (the ceiling always runs), `--scale-store=memory|redis`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CEILING, contenders } from "./http/registry.js";
import { BENCH_USER_AGENT, type HttpResults, type HttpSettings, runHttp } from "./http/run.js";
import { load1, machineInfo, packageVersions } from "./machine.js";
import { type MicroResults, runMicro } from "./micro.js";
import { type BenchRun, renderReport } from "./report.js";
import type { ScaleResults } from "./scale.js";
import {
  availableServices,
  createSchema,
  deleteRedisPrefix,
  dropSchema,
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

const quick = process.env.BENCH_QUICK === "1";
const only = (argument("only")?.split(",") ?? [...SECTIONS]) as Section[];
const wanted = argument("contenders")?.split(",");
const scaleStore = argument("scale-store") ?? "redis";
const started = Date.now();
const log = (line: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const httpSettings: HttpSettings = quick
  ? { connections: 64, warmupSeconds: 1, roundSeconds: 1.5, rounds: 2 }
  : { connections: 64, warmupSeconds: 3, roundSeconds: 4, rounds: 6 };
const microSettings = quick ? { rounds: 2, cpuMs: 30 } : { rounds: 5, cpuMs: 150 };

const id = runId();
const pgSchema = `tessera_bench_${id}`;
const redisPrefix = `tessera-bench:${id}:`;
let schemaCreated = false;
let usedRedis = false;

async function cleanUp(): Promise<void> {
  if (schemaCreated)
    await dropSchema(pgSchema).catch((e) => log(`could not drop ${pgSchema}: ${e}`));
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
  `start (${quick ? "quick" : "full"} run; load average ${loadStart}; sections ${only.join(", ")})`,
);
const machine = await machineInfo();
const services = await availableServices();
let micro: MicroResults | null = null;
let http: HttpResults | null = null;
let scale: ScaleResults | null = null;
try {
  if (only.includes("micro")) {
    micro = await runMicro(microSettings, log);
  }
  if (only.includes("http")) {
    const entries = contenders.filter(
      (c) => c.name === CEILING || !wanted || wanted.includes(c.name),
    );
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
    usedRedis = services.redis && runnable.some((e) => e.needs.includes("redis"));
    http = await runHttp(
      runnable,
      {
        redisUrl: REDIS_URL,
        redisPrefix,
        pg: PG_CONFIG,
        pgSchema,
        userId: "bench-user",
        client: { ip: "127.0.0.1", userAgent: BENCH_USER_AGENT },
      },
      httpSettings,
      log,
    );
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
  command: `${quick ? "BENCH_QUICK=1 " : ""}pnpm bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
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
log(`done in ${Math.round(run.seconds)} s; load average ${run.load.end}`);
log(`report: ${reportPath}`);
log(`raw:    ${join(TMP, jsonName)}`);
