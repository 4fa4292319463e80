/**
 * Keeps the comparison honest: every contender's server, started exactly as the bench starts
 * it, must really authenticate. A valid credential gets 200 with the right user id; no
 * credential, garbage, or the valid credential with one character changed gets 401. Nothing
 * here measures speed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dynalite, startDynalite } from "../src/dynalite.js";
import { cookiePair } from "../src/http/contender.js";
import { contenders, type Service } from "../src/http/registry.js";
import { BENCH_USER_AGENT, checkAuthenticates, loadUserAgent } from "../src/http/run.js";
import { type ServerHandle, startServer } from "../src/http/server.js";
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
} from "../src/services.js";

const id = runId();
/**
 * `BENCH_TEST_ONLY=name,name` checks only these contenders (to try a new one without starting
 * them all); unset, every contender is checked.
 */
const only = process.env.BENCH_TEST_ONLY?.split(",").map((name) => name.trim());
const selected = contenders.filter((entry) => !only || only.includes(entry.name));
const pgSchema = `tessera_bench_test_${id}`;
const redisPrefix = `tessera-bench-test:${id}:`;
let services: Record<Service, boolean> = {
  redis: false,
  postgres: false,
  mysql: false,
  dynamodb: false,
  sqlite: true,
};
/** dynalite is the bench's own (started here, like `pnpm bench` does): it must start. */
let dynalite: Dynalite | null = null;
/** Servers start together (each in its own process); each test awaits its own. */
const starting = new Map<string, Promise<ServerHandle>>();

beforeAll(async () => {
  const started = await startDynalite();
  dynalite = started;
  services = { ...(await availableServices()), dynamodb: true, sqlite: true };
  const missing = (Object.keys(services) as Service[]).filter((s) => !services[s]);
  if (missing.length > 0) {
    const message = `apps/bench: ${missing.join(" and ")} not reachable (Redis 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432, MariaDB 127.0.0.1:3306)`;
    if (process.env.CI === "true") throw new Error(message);
    console.warn(`WARNING: ${message}; the contenders that need it are skipped.`);
  }
  if (services.postgres) await createSchema(pgSchema);
  if (services.mysql) await createMysqlDatabase(pgSchema);
  // At most four servers boot at once, in registry order: the first tests start early, and no
  // child waits for a core long enough to miss its start-up timeout on a busy machine.
  const lanes: Promise<unknown>[] = Array.from({ length: 4 }, () => Promise.resolve());
  let lane = 0;
  for (const entry of selected) {
    if (entry.needs.some((need) => !services[need])) continue;
    const turn = lane++ % lanes.length;
    const server = lanes[turn]!.then(() =>
      startServer(entry, {
        redisUrl: REDIS_URL,
        redisPrefix,
        pg: PG_CONFIG,
        pgSchema,
        mysql: { uri: MYSQL_URL, database: pgSchema },
        dynamodbEndpoint: started.endpoint,
        userId: "bench-user",
        client: { ip: "127.0.0.1", userAgent: BENCH_USER_AGENT },
      }),
    );
    lanes[turn] = server.catch(() => {});
    server.catch(() => {}); // reported by the contender's own test
    starting.set(entry.name, server);
  }
});

afterAll(async () => {
  await Promise.all(
    [...starting.values()].map((s) =>
      s.then(
        (server) => server.stop(),
        () => {},
      ),
    ),
  );
  if (services.postgres) await dropSchema(pgSchema);
  if (services.mysql) await dropMysqlDatabase(pgSchema);
  if (services.redis) await deleteRedisPrefix(redisPrefix);
  await dynalite?.stop();
});

/** The credential's cookie with one character in the middle of its value changed. */
function tampered(pair: string): string {
  const eq = pair.indexOf("=");
  const at = eq + 1 + Math.floor((pair.length - eq - 1) / 2);
  const replacement = pair[at] === "a" ? "b" : "a";
  return `${pair.slice(0, at)}${replacement}${pair.slice(at + 1)}`;
}

async function statusWith(
  url: string,
  cookie: string | null,
  userAgent: string | null,
): Promise<number> {
  const headers: Record<string, string> = {};
  if (userAgent !== null) headers["user-agent"] = userAgent;
  if (cookie !== null) headers.cookie = cookie;
  const response = await fetch(`${url}/me`, { headers });
  await response.arrayBuffer();
  return response.status;
}

describe("every HTTP contender really authenticates", () => {
  for (const entry of selected) {
    const title = entry.authenticates
      ? `${entry.name}: 200 with the user id for its credential, 401 without, for garbage and when tampered`
      : `${entry.name}: the ceiling answers 200 with the user id and checks nothing`;
    it(title, async (context) => {
      const missing = entry.needs.filter((need) => !services[need]);
      if (missing.length > 0) context.skip(`${missing.join(", ")} not reachable`);
      const server = await starting.get(entry.name)!;
      try {
        const [credential] = await server.prepare(1);
        expect(credential).toBeDefined();
        expect(await checkAuthenticates(server.url, entry, credential!)).toBeNull();
        if (!entry.authenticates) return;
        const pair = cookiePair(credential!.setCookie);
        const name = pair.slice(0, pair.indexOf("="));
        // The User-Agent the load generator sends this contender (none for the no-UA ones).
        const userAgent = loadUserAgent(entry);
        expect(await statusWith(server.url, null, userAgent)).toBe(401);
        expect(await statusWith(server.url, `${name}=garbage-${id}`, userAgent)).toBe(401);
        expect(await statusWith(server.url, tampered(pair), userAgent)).toBe(401);
        expect(await statusWith(server.url, pair, userAgent)).toBe(200);
      } finally {
        await server.stop();
      }
    });
  }
});
