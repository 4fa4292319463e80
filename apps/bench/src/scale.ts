/**
 * Scale: does Tessera stay flat as the store fills up? With 1k, 100k and 1M stored sessions
 * (quick: 1k and 10k): validate throughput (64 validates in flight, on sessions picked at random
 * among all stored), memory per session, and revokeAll time for one user holding 1, 100 or 10k
 * sessions (quick: 1k) among all the others. The store is chosen by name (`--store=memory|redis`,
 * see scale-stores.ts).
 *
 * The store is filled through `store.create` with copies of one real session's record (own id,
 * own user), which is what millions of logins leave behind, at a fraction of the time; the
 * sessions whose revokeAll is timed are made by `sessions.create`.
 *
 * Run alone: `pnpm --filter @tessera/bench scale -- --store=memory` (BENCH_QUICK=1 for a short
 * run); `pnpm bench` runs it as a child process and puts the figures in the report.
 */
import { writeFileSync } from "node:fs";
import { createSessions, type SessionStore, type Sessions } from "@tessera/core";
import type { SessionRecord } from "@tessera/core/store";
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
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * Session ids for the filler records: a random 12-character run prefix and the record's number
 * in 12 base32 digits, so any filler's token can be rebuilt from its number.
 */
function fillerIds(): (n: number) => string {
  const prefix = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => BASE32[b & 31]).join(
    "",
  );
  return (n) => {
    let digits = "";
    for (let rest = n, i = 0; i < 12; i++, rest = Math.floor(rest / 32))
      digits = BASE32[rest % 32] + digits;
    return prefix + digits;
  };
}

/** The filler: records copied from one real session, each with its own id and user. */
interface Filler {
  template: SessionRecord;
  secret: string;
  idOf: (n: number) => string;
}

/**
 * Stores the records `from` to `from + count - 1` through `store.create`, `concurrency` at a
 * time. Every filler shares the template's secret hash, so validate can pick any of them.
 */
async function fill(
  store: SessionStore,
  filler: Filler,
  from: number,
  count: number,
  concurrency: number,
): Promise<void> {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const n = next++;
      await store.create({ ...filler.template, id: filler.idOf(n), userId: `user-${n}` });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function validateThroughput(
  sessions: Sessions,
  filler: Filler,
  stored: number,
  seconds: number,
  concurrency: number,
): Promise<{ perSecond: number; failures: number }> {
  let done = 0;
  let failures = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const token = `${filler.idOf(Math.floor(Math.random() * stored))}.${filler.secret}`;
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
    const created = await sessions.create({ userId: "template", client: CLIENT });
    const template = await target.store.get(created.session.id);
    if (!template) throw new Error("the store lost the template session");
    await target.store.delete(template.id);
    const filler: Filler = {
      template,
      secret: created.token.slice(created.token.indexOf(".") + 1),
      idOf: fillerIds(),
    };
    const levels: ScaleLevel[] = [];
    let stored = 0;
    for (const size of settings.sizes) {
      const fillStart = performance.now();
      await fill(target.store, filler, stored, size - stored, settings.concurrency);
      const fillSeconds = (performance.now() - fillStart) / 1000;
      stored = size;
      const memoryBytes = (await target.memoryBytes()) - before;
      log(`scale: ${size} sessions stored (${fillSeconds.toFixed(1)} s)`);
      const throughput = await validateThroughput(
        sessions,
        filler,
        stored,
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
  // Exit through process.exit so that the private redis-server is stopped (see services.ts).
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => process.exit(130));
  const quick = process.env.BENCH_QUICK === "1";
  const store = argument("store") ?? "memory";
  const out = argument("out");
  const results = await runScale(store, scaleSettings(quick), (line) => console.error(line));
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  else console.log(JSON.stringify(results, null, 2));
}
