/**
 * The HTTP comparison: every contender's server in its own child process, a warm-up for each,
 * then rounds in which every contender is loaded once, in an order rotated by one place per
 * round, so drift on the machine (other load, thermal, GC) hits them all alike. A round's ratio
 * is a contender's throughput over the bare-Express ceiling's in that same round; the report
 * shows the median over rounds of both.
 */
import { load1 } from "../machine.js";
import { median, range, rotate } from "../stats.js";
import { type BenchContext, type Credential, cookiePair } from "./contender.js";
import { type LoadResult, resyncCookies, runLoad } from "./load.js";
import { CEILING, type ContenderEntry } from "./registry.js";
import { type ServerHandle, startServer } from "./server.js";

/** Settings of the HTTP run. */
export interface HttpSettings {
  connections: number;
  warmupSeconds: number;
  roundSeconds: number;
  rounds: number;
}

/** One run of one contender in one round. */
export interface RoundResult extends LoadResult {
  /**
   * CPU time the server process used per answered request, in µs: independent of what else
   * runs on the machine (a database server's own CPU is not included).
   */
  serverCpuUs: number;
}

/** One contender's figures. */
export interface HttpContenderResult {
  name: string;
  label: string;
  /** Median over rounds of 2xx responses per second. */
  rps: number;
  rpsRange: [number, number];
  /** Median over rounds of rps / ceiling rps in the same round. */
  ratio: number;
  ratioRange: [number, number];
  p50: number;
  p99: number;
  /** Median over rounds of the server's CPU µs per request. */
  serverCpuUs: number;
  /** Non-2xx answers and socket errors over all rounds (should be 0). */
  non2xx: number;
  errors: number;
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

/** A contender that is up, logged in and checked. */
interface Ready {
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
  const headers = { "user-agent": BENCH_USER_AGENT };
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

/** Runs the HTTP comparison over `entries` (the ceiling must be among them). */
export async function runHttp(
  entries: ContenderEntry[],
  context: Omit<BenchContext, "options">,
  settings: HttpSettings,
  log: (line: string) => void,
): Promise<HttpResults> {
  const ready: Ready[] = [];
  const skipped: HttpResults["skipped"] = [];
  try {
    for (const entry of entries) {
      let server: ServerHandle | null = null;
      try {
        server = await startServer(entry, context);
        // A rotating server gets one session per connection, plus one spent on the check.
        const count = entry.followsCookies ? settings.connections + 1 : 1;
        const credentials = await server.prepare(count);
        const check = credentials.pop()!;
        const problem = await checkAuthenticates(server.url, entry, check);
        if (problem) throw new Error(problem);
        const used = credentials.length ? credentials : [check];
        const cookies = used.map((c) => cookiePair(c.setCookie)).filter(Boolean);
        ready.push({ entry, server, credentials: used, cookies });
        log(`http: ${entry.name} up (pid ${server.pid})`);
      } catch (error) {
        await server?.stop();
        const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
        skipped.push({ name: entry.name, reason });
        log(`http: ${entry.name} SKIPPED: ${reason}`);
      }
    }
    if (!ready.some((r) => r.entry.name === CEILING)) {
      throw new Error(`the ceiling (${CEILING}) did not start: no ratio can be taken`);
    }

    const load = async (r: Ready, seconds: number): Promise<RoundResult> => {
      const followCookies = r.entry.followsCookies ?? false;
      const cpuBefore = await r.server.cpu();
      const result = await runLoad(r.server.url, {
        connections: settings.connections,
        seconds,
        userAgent: BENCH_USER_AGENT,
        cookies: r.cookies,
        followCookies,
      });
      const serverCpuUs = ((await r.server.cpu()) - cpuBefore) / (result.ok + result.non2xx);
      if (followCookies) await resyncCookies(r.server.url, r.cookies, BENCH_USER_AGENT);
      return { ...result, serverCpuUs };
    };

    for (const r of ready) {
      await load(r, settings.warmupSeconds);
      log(`http: warmed up ${r.entry.name}`);
    }

    const perRound = new Map<string, RoundResult[]>();
    const ratios = new Map<string, number[]>();
    const orders: string[][] = [];
    const roundLoad: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order = rotate(ready, round);
      orders.push(order.map((r) => r.entry.name));
      const results = new Map<string, RoundResult>();
      for (const r of order) {
        const result = await load(r, settings.roundSeconds);
        results.set(r.entry.name, result);
        perRound.set(r.entry.name, [...(perRound.get(r.entry.name) ?? []), result]);
      }
      roundLoad.push(load1());
      const ceiling = results.get(CEILING)!.rps;
      for (const [name, result] of results) {
        ratios.set(name, [...(ratios.get(name) ?? []), result.rps / ceiling]);
      }
      log(
        `http: round ${round + 1}/${settings.rounds}: ` +
          order
            .map((r) => `${r.entry.name} ${Math.round(results.get(r.entry.name)!.rps)}`)
            .join(", "),
      );
    }

    return {
      settings,
      skipped,
      orders,
      roundLoad,
      contenders: ready.map((r) => {
        const rounds = perRound.get(r.entry.name) ?? [];
        const rps = rounds.map((x) => x.rps);
        const ratio = ratios.get(r.entry.name) ?? [];
        return {
          name: r.entry.name,
          label: r.entry.label,
          rps: median(rps),
          rpsRange: range(rps),
          ratio: median(ratio),
          ratioRange: range(ratio),
          p50: median(rounds.map((x) => x.p50)),
          p99: median(rounds.map((x) => x.p99)),
          serverCpuUs: median(rounds.map((x) => x.serverCpuUs)),
          non2xx: rounds.reduce((sum, x) => sum + x.non2xx, 0),
          errors: rounds.reduce((sum, x) => sum + x.errors, 0),
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
