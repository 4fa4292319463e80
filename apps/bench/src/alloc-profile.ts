/**
 * Bytes allocated per authenticated request on Hono + Redis, by function: V8's sampling heap
 * profiler (`HeapProfiler.startSampling`, objects collected by minor and major GCs included, so
 * the figure is everything allocated, not what survived) over N requests sent in this process
 * through the Hono app's fetch handler to `GET /me` behind `@tessera/hono`, on `@tessera/redis`
 * over ioredis against a real Redis. The total is divided by N.
 *
 * Each request is a Fetch `Request` with the environment @hono/node-server hands the app (the
 * Node header object and the socket's address), so the middleware takes the path it takes in a
 * Node deployment; `--bare` drops the environment (the header-reader path of Bun, Deno, Workers
 * and `app.request`). Building the `Request` is the load generator's work, not the server's: the
 * requests are built before the profiler starts, and the response bodies are not read.
 * Two baselines run the same way first: `GET /raw` answering from a plain ioredis GET, no
 * Tessera, and the same behind a no-op middleware that sets one context variable (what any
 * middleware costs on Hono: its compose path instead of the one-handler fast path).
 *
 * Run (Redis on 127.0.0.1:6379, packages built):
 *   node --import tsx apps/bench/src/alloc-profile.ts [--requests=20000] [--interval=64] [--bare] [--top=25]
 *
 * Prints, per scenario, bytes/request in total, with a Tessera frame on the stack (inclusive),
 * by package (self), and the top functions (self).
 */
import { Session as Inspector } from "node:inspector/promises";
import { createSessions } from "@tessera/core";
import { tessera } from "@tessera/hono";
import { RedisStore } from "@tessera/redis";
import { Hono } from "hono";
import { Redis } from "ioredis";

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  callFrame: Frame;
  selfSize: number;
  children: ProfileNode[];
}

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, "").split("=");
    return [key!, value ?? "true"] as const;
  }),
);
const REQUESTS = Number(args.get("requests") ?? 20_000);
const INTERVAL = Number(args.get("interval") ?? 64);
const TOP = Number(args.get("top") ?? 25);
const BARE = args.get("bare") === "true";
const WARMUP = Math.min(5_000, REQUESTS);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const REMOTE = "127.0.0.1";

/** Where a frame's code lives: a Tessera package, another package, Node, or the engine. */
function groupOf(url: string): string {
  const tessera = /\/packages\/([\w-]+)\/(?:dist|src)\//.exec(url);
  if (tessera) return `@tessera/${tessera[1]}`;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[1]!;
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain) return plain[1]!;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("alloc-profile")) return "this script";
  return url === "" ? "(engine)" : url;
}

const isTessera = (frame: Frame) => /\/packages\/[\w-]+\/(?:dist|src)\//.test(frame.url);
/** The app's own route handler and the load loop: code of this script. */
const isScript = (frame: Frame) => frame.url.includes("alloc-profile");

function shortUrl(url: string): string {
  const tessera = /\/packages\/([\w-]+\/(?:dist|src)\/.*)$/.exec(url);
  if (tessera) return tessera[1]!;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(url);
  if (pnpm) return pnpm[1]!;
  return url;
}

interface Summary {
  totalBytes: number;
  tesseraInclusiveBytes: number;
  byGroup: Map<string, number>;
  byFunction: Map<string, number>;
}

function summarise(root: ProfileNode): Summary {
  const summary: Summary = {
    totalBytes: 0,
    tesseraInclusiveBytes: 0,
    byGroup: new Map(),
    byFunction: new Map(),
  };
  const add = (map: Map<string, number>, key: string, bytes: number) =>
    map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node: ProfileNode, inTessera: boolean) => {
    const frame = node.callFrame;
    // The middleware calls the route handler (`next()`): what the handler allocates is the app's.
    const underTessera = isScript(frame) ? false : inTessera || isTessera(frame);
    if (node.selfSize > 0) {
      summary.totalBytes += node.selfSize;
      if (underTessera) summary.tesseraInclusiveBytes += node.selfSize;
      add(summary.byGroup, groupOf(frame.url), node.selfSize);
      const name = `${frame.functionName || "(anonymous)"}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      add(summary.byFunction, name, node.selfSize);
    }
    for (const child of node.children) walk(child, underTessera);
  };
  walk(root, false);
  return summary;
}

type Built = { request: Request; env: unknown };

/**
 * Sends the requests one after the other through `fetch`. The body is left unread: writing it
 * out is the server adapter's work, the same with or without Tessera.
 */
async function drive(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  requests: Built[],
): Promise<void> {
  for (let i = 0; i < requests.length; i++) {
    const { request, env } = requests[i]!;
    requests[i] = undefined as never; // let it go once answered
    const response = await fetch(request, env);
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
  }
}

/**
 * One request as a Node server hands it to a Hono app: the Fetch `Request`, and the environment
 * @hono/node-server passes (`incoming` with Node's header object and the socket).
 */
function buildRequest(path: string, cookie: string): Built {
  const headers = {
    host: "localhost:3000",
    "user-agent": USER_AGENT,
    accept: "*/*",
    cookie,
  };
  const request = new Request(`http://localhost:3000${path}`, { headers });
  const env = BARE
    ? undefined
    : { incoming: { headers, socket: { remoteAddress: REMOTE } }, outgoing: {} };
  return { request, env };
}

async function profile(
  name: string,
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  path: string,
  cookie: string,
): Promise<Summary> {
  const build = (count: number) => Array.from({ length: count }, () => buildRequest(path, cookie));
  await drive(fetch, build(WARMUP));
  // Built before the profiler starts: making them is the load generator's work, not the server's.
  const requests = build(REQUESTS);
  const inspector = new Inspector();
  inspector.connect();
  await inspector.post("HeapProfiler.enable");
  // Collected objects included: the figure is every byte allocated during the run.
  await inspector.post("HeapProfiler.startSampling", {
    samplingInterval: INTERVAL,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  await drive(fetch, requests);
  const { profile } = (await inspector.post("HeapProfiler.getSamplingProfile")) as unknown as {
    profile: { head: ProfileNode };
  };
  await inspector.post("HeapProfiler.stopSampling");
  inspector.disconnect();
  const summary = summarise(profile.head);
  print(name, summary);
  return summary;
}

const perRequest = (bytes: number) => Math.round(bytes / REQUESTS);

function print(name: string, summary: Summary) {
  console.log(`\n## ${name}: ${perRequest(summary.totalBytes)} B/request allocated`);
  console.log(
    `   with a @tessera frame on the stack (the route handler's own left out): ${perRequest(summary.tesseraInclusiveBytes)} B/request`,
  );
  console.log("\n   by package (self):");
  for (const [group, bytes] of [...summary.byGroup].sort((a, b) => b[1] - a[1])) {
    if (perRequest(bytes) >= 1)
      console.log(`   ${String(perRequest(bytes)).padStart(6)}  ${group}`);
  }
  console.log(`\n   top ${TOP} functions (self):`);
  for (const [fn, bytes] of [...summary.byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`   ${String(perRequest(bytes)).padStart(6)}  ${fn}`);
  }
}

async function main() {
  const redis = new Redis(REDIS_URL);
  const prefix = `alloc-profile:${process.pid}:`;
  const sessions = createSessions({
    store: new RedisStore({ client: redis, prefix }),
    // No rotation inside the run: every request is the one-read hot path.
    rotation: { interval: 60 * 60, grace: 30 },
  });
  const { session, token } = await sessions.create({
    userId: "alloc-user",
    client: { ip: REMOTE, userAgent: USER_AGENT },
  });
  const cookie = `${sessions.cookie.name}=${token}`;

  const raw = new Hono();
  const rawKey = `${prefix}raw`;
  await redis.set(rawKey, "alloc-user");
  raw.get("/raw", async (c) => c.json({ userId: await redis.get(rawKey) }));

  // What any middleware costs on Hono (its compose path instead of the one-handler fast path,
  // a context variable set): the floor under a session middleware, whichever it is.
  const noop = new Hono();
  noop.use(async (c, next) => {
    c.set("session", null);
    await next();
  });
  noop.get("/raw", async (c) => c.json({ userId: await redis.get(rawKey) }));

  const app = new Hono();
  app.use(tessera(sessions));
  app.get("/me", (c) => {
    const current = c.var.session;
    return current ? c.json({ userId: current.userId }) : c.json({ error: "unauthenticated" }, 401);
  });

  console.log(
    `# Allocation per request, ${REQUESTS} requests after ${WARMUP} warm-up, sampling every ${INTERVAL} B, ${BARE ? "no Node environment (header reader)" : "@hono/node-server environment (Node header object)"}`,
  );
  try {
    const baseline = await profile("Hono + raw ioredis GET (baseline)", raw.fetch, "/raw", "");
    const middleware = await profile(
      "Hono + a no-op middleware + raw ioredis GET",
      noop.fetch,
      "/raw",
      "",
    );
    const gated = await profile("Hono + @tessera/hono + @tessera/redis", app.fetch, "/me", cookie);
    console.log(
      `\nTessera's share: ${perRequest(gated.totalBytes - baseline.totalBytes)} B/request over the raw GET, ${perRequest(gated.totalBytes - middleware.totalBytes)} B/request over the raw GET behind a no-op middleware; ${perRequest(gated.tesseraInclusiveBytes)} B/request with a @tessera frame on the stack`,
    );
  } finally {
    await sessions.revoke(session.id);
    await redis.del(rawKey);
    redis.disconnect();
  }
}

await main();
