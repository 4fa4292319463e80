/**
 * Scale: does Tessera stay flat as the store fills up? With 1k, 100k and 1M stored sessions
 * (quick: 1k and 10k): validate throughput (64 validates in flight, random sessions), memory
 * per session, and revokeAll time for one user holding 1, 100 or 10k sessions (quick: 1k) among
 * all the others. The store is chosen by name (`--store=memory|redis`, see scale-stores.ts).
 *
 * Run alone: `pnpm --filter @tessera/bench scale -- --store=memory` (BENCH_QUICK=1 for a short
 * run); `pnpm bench` runs it as a child process and puts the figures in the report.
 */
import { writeFileSync } from "node:fs";
import { createSessions, type Sessions } from "@tessera/core";
import { scaleStores } from "./scale-stores.js";
import { median } from "./stats.js";

/** Settings of the scale run. */
export interface ScaleSettings {
  sizes: number[];
  revokeUserSizes: number[];
  revokeRepeats: number;
  validateSeconds: number;
  concurrency: number;
}

/** Figures at one store size. */
export interface ScaleLevel {
  stored: number;
  /** Seconds it took to create the sessions added at this level. */
  fillSeconds: number;
  validatesPerSecond: number;
  /** validate answers that were not ok (should be 0). */
  validateFailures: number;
  memoryBytes: number;
  bytesPerSession: number;
  /** revokeAll median milliseconds, by the number of sessions the user had. */
  revokeAllMs: { userSessions: number; ms: number; runs: number[] }[];
}

/** What the scale run returns. */
export interface ScaleResults {
  store: string;
  memoryHow: string;
  settings: ScaleSettings;
  levels: ScaleLevel[];
}

const CLIENT = {
  ip: "198.51.100.23",
  userAgent:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
};
const SAMPLE = 10_000;

/** Creates `count` sessions for distinct users, `concurrency` at a time; keeps a random sample of tokens. */
async function fill(
  sessions: Sessions,
  from: number,
  count: number,
  concurrency: number,
  sample: string[],
): Promise<void> {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const n = next++;
      const { token } = await sessions.create({ userId: `user-${n}`, client: CLIENT });
      // Reservoir sampling: every stored session is equally likely to be validated later.
      if (sample.length < SAMPLE) sample.push(token);
      else {
        const slot = Math.floor(Math.random() * (n + 1));
        if (slot < SAMPLE) sample[slot] = token;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function validateThroughput(
  sessions: Sessions,
  sample: string[],
  seconds: number,
  concurrency: number,
): Promise<{ perSecond: number; failures: number }> {
  let done = 0;
  let failures = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const token = sample[Math.floor(Math.random() * sample.length)]!;
      const result = await sessions.validate(token, CLIENT);
      if (!result.ok) failures++;
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSecond: done / ((performance.now() - start) / 1000), failures };
}

async function timeRevokeAll(
  sessions: Sessions,
  userId: string,
  userSessions: number,
  concurrency: number,
): Promise<number> {
  let made = 0;
  const worker = async () => {
    while (made < userSessions) {
      made++;
      await sessions.create({ userId, client: CLIENT });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, userSessions) }, worker));
  const start = performance.now();
  const removed = await sessions.revokeAll(userId);
  const ms = performance.now() - start;
  if (removed !== userSessions) {
    throw new Error(`revokeAll removed ${removed} of ${userId}'s ${userSessions} sessions`);
  }
  return ms;
}

/** Runs the scale measurements against the store named `storeName`. */
export async function runScale(
  storeName: string,
  settings: ScaleSettings,
  log: (line: string) => void = () => {},
): Promise<ScaleResults> {
  const factory = scaleStores[storeName];
  if (!factory) {
    throw new Error(`unknown store "${storeName}" (known: ${Object.keys(scaleStores).join(", ")})`);
  }
  const target = await factory();
  try {
    // Rotation is far away, so validate is the hot path (one read, no write) as in production.
    const sessions = createSessions({
      store: target.store,
      rotation: { interval: 3600, grace: 30 },
    });
    const before = await target.memoryBytes();
    const sample: string[] = [];
    const levels: ScaleLevel[] = [];
    let stored = 0;
    for (const size of settings.sizes) {
      const fillStart = performance.now();
      await fill(sessions, stored, size - stored, settings.concurrency, sample);
      const fillSeconds = (performance.now() - fillStart) / 1000;
      stored = size;
      const memoryBytes = (await target.memoryBytes()) - before;
      log(`scale: ${size} sessions stored (${fillSeconds.toFixed(1)} s)`);
      const throughput = await validateThroughput(
        sessions,
        sample,
        settings.validateSeconds,
        settings.concurrency,
      );
      const revokeAllMs: ScaleLevel["revokeAllMs"] = [];
      for (const userSessions of settings.revokeUserSizes) {
        const runs: number[] = [];
        for (let repeat = 0; repeat < settings.revokeRepeats; repeat++) {
          const userId = `revoke-${size}-${userSessions}-${repeat}`;
          runs.push(await timeRevokeAll(sessions, userId, userSessions, settings.concurrency));
        }
        revokeAllMs.push({ userSessions, ms: median(runs), runs });
      }
      levels.push({
        stored: size,
        fillSeconds,
        validatesPerSecond: throughput.perSecond,
        validateFailures: throughput.failures,
        memoryBytes,
        bytesPerSession: memoryBytes / size,
        revokeAllMs,
      });
      log(
        `scale: ${size} stored: ${Math.round(throughput.perSecond)} validates/s, ` +
          `${Math.round(memoryBytes / size)} B/session, revokeAll ` +
          revokeAllMs.map((r) => `${r.userSessions}: ${r.ms.toFixed(2)} ms`).join(", "),
      );
    }
    return { store: storeName, memoryHow: target.memoryHow, settings, levels };
  } finally {
    await target.close();
  }
}

/** The settings for a full run, or a quick one (`BENCH_QUICK=1`). */
export function scaleSettings(quick: boolean): ScaleSettings {
  return quick
    ? {
        sizes: [1_000, 10_000],
        revokeUserSizes: [1, 100, 1_000],
        revokeRepeats: 3,
        validateSeconds: 1,
        concurrency: 64,
      }
    : {
        sizes: [1_000, 100_000, 1_000_000],
        revokeUserSizes: [1, 100, 10_000],
        revokeRepeats: 3,
        validateSeconds: 3,
        concurrency: 64,
      };
}

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (isMain) {
  const quick = process.env.BENCH_QUICK === "1";
  const store = argument("store") ?? "memory";
  const out = argument("out");
  const results = await runScale(store, scaleSettings(quick), (line) => console.error(line));
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  else console.log(JSON.stringify(results, null, 2));
}
