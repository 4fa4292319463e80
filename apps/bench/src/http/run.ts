/**
 * The HTTP comparison: every contender's server in its own child process, a warm-up for each,
 * then rounds in which every contender is loaded once, in an order rotated by one place per
 * round, so drift on the machine (other load, thermal, GC) hits them all alike. A round's ratio
 * is a contender's throughput over its framework's bare ceiling's in that same round, and for a
 * Tessera contender on a store also over its raw-read limit's (same store, same framework) in
 * that same round; the report shows the median over rounds of each.
 */
import { load1 } from "../machine.js";
import { median, range, rotate } from "../stats.js";
import { type BenchContext, type Credential, cookiePair, type StoreWrites } from "./contender.js";
import { type LoadResult, resyncCookies, runLoad } from "./load.js";
import { CEILINGS, type ContenderEntry } from "./registry.js";
import { type ServerHandle, type StartOptions, startServer } from "./server.js";

/** Settings of the HTTP run. */
export interface HttpSettings {
  connections: number;
  warmupSeconds: number;
  roundSeconds: number;
  rounds: number;
  /**
   * `"rotate"` (default): the whole list rotated by one place per round. `"pairs"`: each
   * Tessera contender runs right after its limit, pairs rotated by one pair per round and the
   * order within a pair swapped every other round (the quick mode, where few rounds run).
   */
  schedule?: "rotate" | "pairs";
  /** Servers started at once (each in its own process) before the checks. Default 1. */
  startConcurrency?: number;
  /**
   * Requests of the allocation run of each contender marked `allocation` (after the rounds).
   * 0 or absent: no allocation run.
   */
  allocationRequests?: number;
}

/** One run of one contender in one round. */
export interface RoundResult extends LoadResult {
  /**
   * CPU time the server process used per answered request, in µs: independent of what else
   * runs on the machine (a database server's own CPU is not included).
   */
  serverCpuUs: number;
  /** Writes the contender's store took during the run (`null` where they are not counted). */
  storeWrites: StoreWrites | null;
}

/** What the allocation run of one contender measured. */
export interface AllocationResult {
  /** Bytes the server process allocated per answered request (sampling heap profiler). */
  bytesPerRequest: number;
  /** Requests answered during the sampled run. */
  requests: number;
  non2xx: number;
}

/** One contender's figures. */
export interface HttpContenderResult {
  name: string;
  label: string;
  /** Median over rounds of 2xx responses per second. */
  rps: number;
  rpsRange: [number, number];
  /** The framework it runs on. */
  framework: string;
  /** The framework's ceiling its ratio is taken against. */
  ceiling: string;
  /** Median over rounds of rps / its framework's ceiling rps in the same round (NaN without it). */
  ratio: number;
  ratioRange: [number, number];
  /** Another library a user would pick instead of Tessera (the registry's `peer`). */
  peer: boolean;
  /** Its raw-read limit (a Tessera contender on a store), or null. */
  limit: string | null;
  /** Median over rounds of rps / the limit's rps in the same round (NaN without a limit). */
  limitRatio: number;
  limitRatioRange: [number, number];
  p50: number;
  p99: number;
  /** Median over rounds of the server's CPU µs per request. */
  serverCpuUs: number;
  /** Non-2xx answers and socket errors over all rounds (should be 0). */
  non2xx: number;
  errors: number;
  /** Store writes over all rounds, or `null` where they are not counted. */
  storeWrites: StoreWrites | null;
  /** Allocation per request, for contenders marked `allocation`. */
  allocation: AllocationResult | null;
  rounds: RoundResult[];
  credential: Credential | null;
  followsCookies: boolean;
}

/** What the HTTP run returns. */
export interface HttpResults {
  settings: HttpSettings;
  contenders: HttpContenderResult[];
  /** Contenders that could not run, with the reason. */
  skipped: { name: string; reason: string }[];
  /** Per round: the order contenders ran in. */
  orders: string[][];
  /** Per round: the machine's 1-minute load average when the round ended. */
  roundLoad: number[];
}

/** The User-Agent the load generator sends (and sessions are created for). */
export const BENCH_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** The User-Agent the load generator sends to `entry`, or `null` for none at all. */
export function loadUserAgent(entry: ContenderEntry): string | null {
  return entry.userAgent === "none" ? null : BENCH_USER_AGENT;
}

/** A contender that is up, logged in and checked. */
export interface Ready {
  entry: ContenderEntry;
  server: ServerHandle;
  credentials: Credential[];
  /** The cookies the load generator sends (kept current for rotating servers). */
  cookies: string[];
}

/**
 * Checks that a credential really authenticates (200 with the right user) and that no
 * credential does not (401), before any figure is taken.
 */
export async function checkAuthenticates(
  url: string,
  entry: ContenderEntry,
  credential: Credential,
): Promise<string | null> {
  const userAgent = loadUserAgent(entry);
  const headers: Record<string, string> = userAgent === null ? {} : { "user-agent": userAgent };
  const pair = cookiePair(credential.setCookie);
  const good = await fetch(`${url}/me`, { headers: pair ? { ...headers, cookie: pair } : headers });
  const body = (await good.json().catch(() => null)) as { userId?: string } | null;
  if (good.status !== 200 || body?.userId !== credential.userId) {
    return `valid credential answered ${good.status} ${JSON.stringify(body)}`;
  }
  if (!entry.authenticates) return null;
  const none = await fetch(`${url}/me`, { headers });
  if (none.status !== 401) return `request without credential answered ${none.status}`;
  return null;
}

/**
 * Starts `entries` (`concurrency` at a time), logs each in and checks its credential. Those that
 * fail are stopped and returned as skipped, with the reason.
 */
export async function startContenders(
  entries: ContenderEntry[],
  context: Omit<BenchContext, "options">,
  settings: Pick<HttpSettings, "connections" | "startConcurrency">,
  log: (line: string) => void,
  start: StartOptions = {},
): Promise<{ ready: Ready[]; skipped: HttpResults["skipped"] }> {
  const slots: (Ready | { name: string; reason: string })[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const index = next++;
      const entry = entries[index]!;
      let server: ServerHandle | null = null;
      try {
        server = await startServer(entry, context, start);
        // A rotating server gets one session per connection (or one shared by all), plus one
        // spent on the check.
        const count = entry.followsCookies
          ? (entry.sharedSession ? 1 : settings.connections) + 1
          : 1;
        const credentials = await server.prepare(count);
        const check = credentials.pop()!;
        const problem = await checkAuthenticates(server.url, entry, check);
        if (problem) throw new Error(problem);
        const used = credentials.length ? credentials : [check];
        const cookies = used.map((c) => cookiePair(c.setCookie)).filter(Boolean);
        slots[index] = { entry, server, credentials: used, cookies };
        log(`http: ${entry.name} up (pid ${server.pid})`);
      } catch (error) {
        await server?.stop();
        const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
        slots[index] = { name: entry.name, reason };
        log(`http: ${entry.name} SKIPPED: ${reason}`);
      }
    }
  };
  const workers = Math.max(1, Math.min(settings.startConcurrency ?? 1, entries.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const ready = slots.filter((s): s is Ready => "server" in s);
  const skipped = slots.filter((s): s is { name: string; reason: string } => !("server" in s));
  return { ready, skipped };
}

/** One load run against a ready contender, with the server's CPU per request. */
export async function loadContender(
  r: Ready,
  seconds: number,
  connections: number,
): Promise<RoundResult> {
  const followCookies = r.entry.followsCookies ?? false;
  const userAgent = loadUserAgent(r.entry);
  const before = await r.server.usage();
  const result = await runLoad(r.server.url, {
    connections,
    seconds,
    userAgent,
    cookies: r.cookies,
    followCookies,
  });
  const after = await r.server.usage();
  const serverCpuUs = (after.micros - before.micros) / (result.ok + result.non2xx);
  const storeWrites =
    after.storeWrites === null || before.storeWrites === null
      ? null
      : {
          written: after.storeWrites.written - before.storeWrites.written,
          lost: after.storeWrites.lost - before.storeWrites.lost,
        };
  if (followCookies) await resyncCookies(r.server.url, r.cookies, userAgent);
  return { ...result, serverCpuUs, storeWrites };
}

/**
 * The bytes the server allocates per request: V8's sampling heap profiler runs in the child
 * while the load generator sends exactly `requests` requests (64 connections), and the bytes it
 * sampled (collected objects included) are divided by the requests answered.
 */
export async function measureAllocation(
  r: Ready,
  requests: number,
  connections: number,
): Promise<AllocationResult> {
  const userAgent = loadUserAgent(r.entry);
  const followCookies = r.entry.followsCookies ?? false;
  let result: LoadResult | undefined;
  const bytes = await r.server.allocated(async () => {
    result = await runLoad(r.server.url, {
      connections,
      seconds: 0,
      amount: requests,
      userAgent,
      cookies: r.cookies,
      followCookies,
    });
  });
  if (followCookies) await resyncCookies(r.server.url, r.cookies, userAgent);
  const answered = result!.ok + result!.non2xx;
  return { bytesPerRequest: bytes / answered, requests: answered, non2xx: result!.non2xx };
}

/**
 * The order of one round. `"rotate"`: the list rotated by `round` places. `"pairs"`: each
 * contender with a limit right after (or, every other round, right before) that limit, the
 * pairs rotated by `round` pairs; anything unpaired follows, rotated.
 */
export function roundOrder(
  ready: Ready[],
  round: number,
  schedule: HttpSettings["schedule"],
): Ready[] {
  if (schedule !== "pairs") return rotate(ready, round);
  const byName = new Map(ready.map((r) => [r.entry.name, r]));
  const paired = new Set<string>();
  const pairs: Ready[][] = [];
  for (const r of ready) {
    const limit = r.entry.limit ? byName.get(r.entry.limit) : undefined;
    if (!limit || paired.has(r.entry.name)) continue;
    paired.add(r.entry.name);
    paired.add(limit.entry.name);
    pairs.push(round % 2 === 0 ? [limit, r] : [r, limit]);
  }
  // A limit shared by two contenders runs once per pair; drop the repeats, keep the first.
  const seen = new Set<string>();
  const order = rotate(pairs, round)
    .flat()
    .filter((r) => {
      if (seen.has(r.entry.name)) return false;
      seen.add(r.entry.name);
      return true;
    });
  return [
    ...order,
    ...rotate(
      ready.filter((r) => !paired.has(r.entry.name)),
      round,
    ),
  ];
}

/** Runs the HTTP comparison over `entries`. */
export async function runHttp(
  entries: ContenderEntry[],
  context: Omit<BenchContext, "options">,
  settings: HttpSettings,
  log: (line: string) => void,
): Promise<HttpResults> {
  const { ready, skipped } = await startContenders(entries, context, settings, log);
  try {
    if (ready.length === 0) throw new Error("no contender started: nothing to measure");
    for (const r of ready) {
      const warm = await loadContender(r, settings.warmupSeconds, settings.connections);
      const statuses = Object.entries(warm.non2xxStatuses)
        .map(([code, count]) => `${code}×${count}`)
        .join(" ");
      log(`http: warmed up ${r.entry.name}${statuses ? ` (non-2xx: ${statuses})` : ""}`);
    }

    const perRound = new Map<string, RoundResult[]>();
    const ratios = new Map<string, number[]>();
    const limitRatios = new Map<string, number[]>();
    const push = (map: Map<string, number[]>, name: string, value: number) =>
      map.set(name, [...(map.get(name) ?? []), value]);
    const orders: string[][] = [];
    const roundLoad: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order = roundOrder(ready, round, settings.schedule);
      orders.push(order.map((r) => r.entry.name));
      const results = new Map<string, RoundResult>();
      for (const r of order) {
        const result = await loadContender(r, settings.roundSeconds, settings.connections);
        results.set(r.entry.name, result);
        perRound.set(r.entry.name, [...(perRound.get(r.entry.name) ?? []), result]);
      }
      roundLoad.push(load1());
      for (const r of order) {
        const rps = results.get(r.entry.name)!.rps;
        const ceiling = results.get(CEILINGS[r.entry.framework]);
        push(ratios, r.entry.name, ceiling ? rps / ceiling.rps : Number.NaN);
        const limit = r.entry.limit ? results.get(r.entry.limit) : undefined;
        push(limitRatios, r.entry.name, limit ? rps / limit.rps : Number.NaN);
      }
      log(
        `http: round ${round + 1}/${settings.rounds}: ` +
          order
            .map((r) => {
              const result = results.get(r.entry.name)!;
              const statuses = Object.entries(result.non2xxStatuses)
                .map(([code, count]) => `${code}×${count}`)
                .join(" ");
              return `${r.entry.name} ${Math.round(result.rps)}${statuses ? ` (non-2xx: ${statuses})` : ""}`;
            })
            .join(", "),
      );
    }

    const allocations = new Map<string, AllocationResult>();
    if (settings.allocationRequests) {
      for (const r of ready.filter((x) => x.entry.allocation)) {
        const allocation = await measureAllocation(
          r,
          settings.allocationRequests,
          settings.connections,
        );
        allocations.set(r.entry.name, allocation);
        log(`http: ${r.entry.name} allocates ${Math.round(allocation.bytesPerRequest)} B/request`);
      }
    }

    return {
      settings,
      skipped,
      orders,
      roundLoad,
      contenders: ready.map((r) => {
        const rounds = perRound.get(r.entry.name) ?? [];
        const writes = rounds.map((x) => x.storeWrites);
        const rps = rounds.map((x) => x.rps);
        const ratio = ratios.get(r.entry.name) ?? [];
        const limitRatio = limitRatios.get(r.entry.name) ?? [];
        return {
          name: r.entry.name,
          label: r.entry.label,
          framework: r.entry.framework,
          ceiling: CEILINGS[r.entry.framework],
          rps: median(rps),
          rpsRange: range(rps),
          ratio: median(ratio),
          ratioRange: range(ratio),
          peer: r.entry.peer ?? false,
          limit: r.entry.limit ?? null,
          limitRatio: median(limitRatio),
          limitRatioRange: range(limitRatio),
          p50: median(rounds.map((x) => x.p50)),
          p99: median(rounds.map((x) => x.p99)),
          serverCpuUs: median(rounds.map((x) => x.serverCpuUs)),
          non2xx: rounds.reduce((sum, x) => sum + x.non2xx, 0),
          errors: rounds.reduce((sum, x) => sum + x.errors, 0),
          storeWrites: writes.some((w) => w === null)
            ? null
            : writes.reduce<StoreWrites>(
                (sum, w) => ({ written: sum.written + w!.written, lost: sum.lost + w!.lost }),
                { written: 0, lost: 0 },
              ),
          allocation: allocations.get(r.entry.name) ?? null,
          rounds,
          credential: r.credentials[0] ?? null,
          followsCookies: r.entry.followsCookies ?? false,
        };
      }),
    };
  } finally {
    await Promise.all(ready.map((r) => r.server.stop()));
  }
}
