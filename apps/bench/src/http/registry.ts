/**
 * Every HTTP contender, in report order. Adding one: write `contenders/<name>.ts` (a default
 * export from `defineContender`: start the library, return the Express app and a `prepare()`
 * that logs the bench user in), then add an entry here. `pnpm bench` and the honesty test
 * (test/contenders.test.ts) pick it up.
 */
import { fileURLToPath } from "node:url";

/** A shared server a contender needs. */
export type Service = "redis" | "postgres";

/** One line of the registry. */
export interface ContenderEntry {
  /** Stable name, used in the report, the JSON and `--contenders=`. */
  name: string;
  /** The file under `src/http/contenders/`. */
  file: string;
  /** One line for the report: what the server does per request. */
  label: string;
  /** Shared servers it needs; it is skipped (and reported so) when one is down. */
  needs: Service[];
  /** `false` only for the ceiling, which checks nothing. */
  authenticates: boolean;
  /**
   * The server rotates the credential on (nearly) every request: each connection gets its own
   * session and follows the `Set-Cookie` it receives, as a browser would.
   */
  followsCookies?: boolean;
  /** Passed to the contender as `context.options`. */
  options?: Record<string, unknown>;
}

/** The name of the ceiling every ratio is taken against. */
export const CEILING = "express-bare";

/** The contenders. */
export const contenders: ContenderEntry[] = [
  {
    name: CEILING,
    file: "express-bare.ts",
    label: "Express 5, no auth (the ceiling)",
    needs: [],
    authenticates: false,
  },
  {
    name: "express-ioredis-get",
    file: "express-ioredis.ts",
    label: "Express + one raw ioredis GET of a random session id",
    needs: ["redis"],
    authenticates: true,
  },
  {
    name: "express-pg-select",
    file: "express-pg.ts",
    label: "Express + one raw pg primary-key SELECT (Pool of 10)",
    needs: ["postgres"],
    authenticates: true,
  },
  {
    name: "express-session-redis",
    file: "express-session-redis.ts",
    label: "express-session + connect-redis (node-redis), GET + touch",
    needs: ["redis"],
    authenticates: true,
  },
  {
    name: "lucia-postgres",
    file: "lucia-postgres.ts",
    label: "Lucia v3 + @lucia-auth/adapter-postgresql (pg Pool)",
    needs: ["postgres"],
    authenticates: true,
  },
  {
    name: "better-auth-postgres",
    file: "better-auth-postgres.ts",
    label: "better-auth getSession on Postgres (Kysely over pg Pool)",
    needs: ["postgres"],
    authenticates: true,
  },
  {
    name: "iron-session",
    file: "iron-session.ts",
    label: "iron-session: sealed cookie, no store",
    needs: [],
    authenticates: true,
  },
  {
    name: "jose-hs256",
    file: "jose-jwt.ts",
    label: "jose JWT in a cookie, HS256",
    needs: [],
    authenticates: true,
    options: { alg: "HS256" },
  },
  {
    name: "jose-es256",
    file: "jose-jwt.ts",
    label: "jose JWT in a cookie, ES256",
    needs: [],
    authenticates: true,
    options: { alg: "ES256" },
  },
  {
    name: "jose-eddsa",
    file: "jose-jwt.ts",
    label: "jose JWT in a cookie, EdDSA (Ed25519)",
    needs: [],
    authenticates: true,
    options: { alg: "EdDSA" },
  },
  {
    name: "tessera-core-memory",
    file: "tessera-core-memory.ts",
    label: "Tessera core (createSessions + request gate) on MemoryStore",
    needs: [],
    authenticates: true,
  },
  {
    name: "tessera-core-memory rotate-every-request",
    file: "tessera-core-memory.ts",
    label: "Tessera core on MemoryStore, rotation.interval = 0 (a write per request)",
    needs: [],
    authenticates: true,
    followsCookies: true,
    options: { rotateEveryRequest: true },
  },
  {
    name: "tessera-express-redis",
    file: "tessera-express-redis.ts",
    label: "@tessera/express + @tessera/redis (ioredis): one GET when nothing is due",
    needs: ["redis"],
    authenticates: true,
  },
  {
    name: "tessera-express-postgres",
    file: "tessera-express-postgres.ts",
    label: "@tessera/express + @tessera/postgres (drizzle, pg Pool of 10): one PK SELECT",
    needs: ["postgres"],
    authenticates: true,
  },
  {
    name: "tessera-express-redis rotate-every-request",
    file: "tessera-express-redis.ts",
    label: "@tessera/express + @tessera/redis, rotation.interval = 0 (a write per request)",
    needs: ["redis"],
    authenticates: true,
    followsCookies: true,
    options: { rotateEveryRequest: true },
  },
];

/** Absolute path of a contender's file. */
export function contenderPath(entry: ContenderEntry): string {
  return fileURLToPath(new URL(`./contenders/${entry.file}`, import.meta.url));
}
