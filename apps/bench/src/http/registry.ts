/**
 * Every HTTP contender, in report order. Adding one: write `contenders/<name>.ts` (a default
 * export from `defineContender`: start the library, return its request handler (see frameworks.ts) and a `prepare()`
 * that logs the bench user in), then add an entry here. `pnpm bench` and the honesty test
 * (test/contenders.test.ts) pick it up.
 */
import { fileURLToPath } from "node:url";
import type { Framework } from "./frameworks.js";

export type { Framework };

/**
 * A server a contender needs: the machine's Redis, PostgreSQL or MariaDB, or the run's own
 * dynalite.
 */
export type Service = "redis" | "postgres" | "mysql" | "dynamodb" | "sqlite";

/** One line of the registry. */
export interface ContenderEntry {
  /** Stable name, used in the report, the JSON and `--contenders=`. */
  name: string;
  /** The file under `src/http/contenders/`. */
  file: string;
  /** One line for the report: what the server does per request. */
  label: string;
  /** Servers it needs; it is skipped (and reported so) when one is down. */
  needs: Service[];
  /** `false` only for the ceilings, which check nothing. */
  authenticates: boolean;
  /** The framework it runs on; its ratio to bare is taken against that framework's ceiling. */
  framework: Framework;
  /**
   * For a Tessera contender on a store: the raw-read contender of the same store and framework
   * (its limit). `pnpm bench --quick` runs these pairs, and the report divides by the limit.
   */
  limit?: string;
  /**
   * The server rotates the credential on (nearly) every request: each connection gets its own
   * session and follows the `Set-Cookie` it receives, as a browser would.
   */
  followsCookies?: boolean;
  /**
   * With `followsCookies`: all connections share one session (one cookie jar, as a browser's
   * parallel connections do) instead of one session each.
   */
  sharedSession?: boolean;
  /**
   * `"none"`: the load generator (and the checks before it) send no `User-Agent` header at all.
   * Default: the bench's browser User-Agent, the one sessions are created for.
   */
  userAgent?: "none";
  /** Another library a user would pick instead of Tessera (checked by "ahead of every peer"). */
  peer?: boolean;
  /**
   * Measure the server's allocation per request (sampling heap profiler over a fixed number of
   * requests) after the rounds.
   */
  allocation?: boolean;
  /** Passed to the contender as `context.options`. */
  options?: Record<string, unknown>;
}

/** The name of the Express ceiling (the ratio column of earlier reports divides by it). */
export const CEILING = "express-bare";

/** Each framework's ceiling: the same route with no authentication at all. */
export const CEILINGS: Record<Framework, string> = {
  express: CEILING,
  hono: "hono-bare",
  fastify: "fastify-bare",
};

const FRAMEWORK_LABEL: Record<Framework, string> = {
  express: "Express 5",
  hono: "Hono on @hono/node-server",
  fastify: "Fastify 5",
};

/** The ceiling and the raw-read floors of one framework. */
function frameworkBase(framework: Framework, stores: Service[]) {
  const entries: ContenderEntry[] = [
    {
      name: CEILINGS[framework],
      file: "bare.ts",
      label: `${FRAMEWORK_LABEL[framework]}, no auth (the ceiling)`,
      needs: [],
      authenticates: false,
      framework,
      allocation: true,
      options: { framework },
    },
  ];
  if (stores.includes("redis"))
    entries.push({
      name: `${framework}-ioredis-get`,
      file: "raw-ioredis.ts",
      label: `${FRAMEWORK_LABEL[framework]} + one raw ioredis GET of a random session id`,
      needs: ["redis"],
      authenticates: true,
      framework,
      allocation: true,
      options: { framework },
    });
  if (stores.includes("postgres"))
    entries.push({
      name: `${framework}-pg-select`,
      file: "raw-pg.ts",
      label: `${FRAMEWORK_LABEL[framework]} + one raw pg primary-key SELECT (Pool of 10)`,
      needs: ["postgres"],
      authenticates: true,
      framework,
      options: { framework },
    });
  if (stores.includes("mysql"))
    entries.push({
      name: `${framework}-mysql-select`,
      file: "raw-mysql.ts",
      label: `${FRAMEWORK_LABEL[framework]} + one raw mysql2 primary-key SELECT (Pool of 10)`,
      needs: ["mysql"],
      authenticates: true,
      framework,
      options: { framework },
    });
  if (stores.includes("dynamodb"))
    entries.push({
      name: `${framework}-dynamodb-getitem`,
      file: "raw-dynamodb.ts",
      label: `${FRAMEWORK_LABEL[framework]} + one raw consistent GetItem (AWS SDK v3, dynalite)`,
      needs: ["dynamodb"],
      authenticates: true,
      framework,
      options: { framework },
    });
  if (stores.includes("sqlite"))
    entries.push({
      name: `${framework}-sqlite-select`,
      file: "raw-sqlite.ts",
      label: `${FRAMEWORK_LABEL[framework]} + one raw better-sqlite3 primary-key SELECT (WAL file)`,
      needs: [],
      authenticates: true,
      framework,
      options: { framework },
    });
  return entries;
}

const STORE_LABEL = {
  redis: "@tessera/redis (ioredis): one GET when nothing is due",
  postgres: "@tessera/postgres (drizzle, pg Pool of 10): one PK SELECT",
  mysql: "@tessera/mysql (drizzle, mysql2 Pool of 10, MariaDB): one PK SELECT",
  dynamodb: "@tessera/dynamodb (AWS SDK v3, dynalite): one consistent GetItem",
  sqlite: "@tessera/sqlite (drizzle, better-sqlite3, WAL file): one PK SELECT",
} as const;

const RAW_NAME = {
  redis: "ioredis-get",
  postgres: "pg-select",
  mysql: "mysql-select",
  dynamodb: "dynamodb-getitem",
  sqlite: "sqlite-select",
};

/** Tessera through `framework`'s integration on `store`, with its limit named. */
function tesseraOn(framework: Framework, store: keyof typeof STORE_LABEL): ContenderEntry {
  return {
    name: `tessera-${framework}-${store}`,
    file: "tessera-integration.ts",
    label: `@tessera/${framework} + ${STORE_LABEL[store]}`,
    // SQLite is a file of the contender's own: no server to wait for.
    needs: store === "sqlite" ? [] : [store],
    authenticates: true,
    framework,
    limit: `${framework}-${RAW_NAME[store]}`,
    ...(store === "redis" ? { allocation: true } : {}),
    options: { framework, store },
  };
}

/**
 * Tessera + Redis on `framework` with a load client that sends no `User-Agent`: the session
 * was created for the bench's browser User-Agent (`created: "with"`) or with none at all
 * (`created: "without"`). Binding is on as shipped; a missing header is no change, so neither
 * may write or answer anything but 200.
 */
function noUserAgentOn(framework: Framework, created: "with" | "without"): ContenderEntry {
  return {
    name: `tessera-${framework}-redis no-user-agent${created === "without" ? " (created without)" : ""}`,
    file: "tessera-integration.ts",
    label: `@tessera/${framework} + @tessera/redis, load sends no User-Agent; session created ${created === "with" ? "with the browser's" : "without one"}`,
    needs: ["redis"],
    authenticates: true,
    framework,
    userAgent: "none",
    options: {
      framework,
      store: "redis",
      tag: `no_ua_${created}`,
      ...(created === "without" ? { createWithoutUserAgent: true } : {}),
    },
  };
}

/**
 * Tessera + Redis on `framework`, 64 connections on one session that rotates every
 * `SHARED_ROTATION.interval` seconds: every rotation races 64 requests in flight on the previous
 * secret, as a browser's parallel requests do. All follow the one cookie jar.
 */
function sharedRotatingOn(framework: Framework): ContenderEntry {
  return {
    name: `tessera-${framework}-redis shared-session rotating`,
    file: "tessera-integration.ts",
    label: `@tessera/${framework} + @tessera/redis, all connections on one session, rotation.interval = ${SHARED_ROTATION.interval} s (grace ${SHARED_ROTATION.grace} s)`,
    needs: ["redis"],
    authenticates: true,
    framework,
    followsCookies: true,
    sharedSession: true,
    options: { framework, store: "redis", tag: "shared", rotation: SHARED_ROTATION },
  };
}

/** Rotation of the shared-session contenders: due every few seconds, grace shorter. */
export const SHARED_ROTATION = { interval: 3, grace: 2 } as const;

/** Tessera through `framework`'s integration on Redis, rotating on every request. */
function rotatingOn(framework: Framework): ContenderEntry {
  return {
    name: `tessera-${framework}-redis rotate-every-request`,
    file: "tessera-integration.ts",
    label: `@tessera/${framework} + @tessera/redis, rotation.interval = 0 (a write per request)`,
    needs: ["redis"],
    authenticates: true,
    framework,
    followsCookies: true,
    options: { framework, store: "redis", rotateEveryRequest: true },
  };
}

/** The contenders. */
export const contenders: ContenderEntry[] = [
  ...frameworkBase("express", ["redis", "postgres", "mysql", "dynamodb", "sqlite"]),
  {
    name: "express-session-redis",
    file: "express-session-redis.ts",
    label: "express-session + connect-redis (node-redis), GET + touch",
    needs: ["redis"],
    authenticates: true,
    framework: "express",
    peer: true,
  },
  {
    name: "lucia-postgres",
    file: "lucia-postgres.ts",
    label: "Lucia v3 + @lucia-auth/adapter-postgresql (pg Pool)",
    needs: ["postgres"],
    authenticates: true,
    framework: "express",
    peer: true,
  },
  {
    name: "better-auth-postgres",
    file: "better-auth-postgres.ts",
    label: "better-auth getSession on Postgres (Kysely over pg Pool), cookie cache off",
    needs: ["postgres"],
    authenticates: true,
    framework: "express",
    peer: true,
  },
  {
    name: "iron-session",
    file: "iron-session.ts",
    label: "iron-session: sealed cookie, no store",
    needs: [],
    authenticates: true,
    framework: "express",
    peer: true,
  },
  ...(["HS256", "ES256", "EdDSA"] as const).map(
    (alg): ContenderEntry => ({
      name: `jose-${alg.toLowerCase()}`,
      file: "jose-jwt.ts",
      label: `jose JWT in a cookie, ${alg === "EdDSA" ? "EdDSA (Ed25519)" : alg}`,
      needs: [],
      authenticates: true,
      framework: "express",
      peer: true,
      options: { alg },
    }),
  ),
  {
    name: "tessera-core-memory",
    file: "tessera-core-memory.ts",
    label: "Tessera core (createSessions + request gate) on MemoryStore",
    needs: [],
    authenticates: true,
    framework: "express",
  },
  {
    name: "tessera-core-memory rotate-every-request",
    file: "tessera-core-memory.ts",
    label: "Tessera core on MemoryStore, rotation.interval = 0 (a write per request)",
    needs: [],
    authenticates: true,
    framework: "express",
    followsCookies: true,
    options: { rotateEveryRequest: true },
  },
  tesseraOn("express", "redis"),
  tesseraOn("express", "postgres"),
  tesseraOn("express", "mysql"),
  tesseraOn("express", "dynamodb"),
  tesseraOn("express", "sqlite"),
  rotatingOn("express"),
  noUserAgentOn("express", "with"),
  noUserAgentOn("express", "without"),
  sharedRotatingOn("express"),
  ...frameworkBase("hono", ["redis", "postgres"]),
  {
    name: "hono-jwt-hs256",
    file: "hono-jwt.ts",
    label: "hono/jwt middleware (HS256) on a JWT cookie, issuer and audience pinned; no store",
    needs: [],
    authenticates: true,
    framework: "hono",
    peer: true,
  },
  {
    name: "hono-session-redis",
    file: "hono-session-redis.ts",
    label:
      "@hono/session: JWE cookie (A256GCM, jose) carrying the session id, data in Redis (ioredis GET)",
    needs: ["redis"],
    authenticates: true,
    framework: "hono",
    peer: true,
  },
  {
    name: "hono-better-auth-postgres",
    file: "better-auth-postgres.ts",
    label: "better-auth getSession on Postgres (Kysely over pg Pool), cookie cache off",
    needs: ["postgres"],
    authenticates: true,
    framework: "hono",
    peer: true,
    options: { framework: "hono" },
  },
  tesseraOn("hono", "redis"),
  tesseraOn("hono", "postgres"),
  rotatingOn("hono"),
  noUserAgentOn("hono", "with"),
  noUserAgentOn("hono", "without"),
  sharedRotatingOn("hono"),
  ...frameworkBase("fastify", ["redis", "postgres"]),
  {
    name: "fastify-session-redis",
    file: "fastify-session-redis.ts",
    label:
      "@fastify/session + @fastify/cookie + connect-redis (node-redis), rolling and saveUninitialized off: one GET",
    needs: ["redis"],
    authenticates: true,
    framework: "fastify",
    peer: true,
  },
  tesseraOn("fastify", "redis"),
  tesseraOn("fastify", "postgres"),
  rotatingOn("fastify"),
];

/**
 * What `pnpm bench --quick` runs: every Tessera contender that has a limit (the hot path on a
 * store, per framework) and that limit, as pairs, limit first.
 */
export function limitPairs(
  entries: ContenderEntry[] = contenders,
): [limit: ContenderEntry, tessera: ContenderEntry][] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  return entries.flatMap((entry) => {
    const limit = entry.limit ? byName.get(entry.limit) : undefined;
    return limit ? [[limit, entry] as [ContenderEntry, ContenderEntry]] : [];
  });
}

/** Absolute path of a contender's file. */
export function contenderPath(entry: ContenderEntry): string {
  return fileURLToPath(new URL(`./contenders/${entry.file}`, import.meta.url));
}
