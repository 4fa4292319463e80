/** The demo's settings, read from the environment with clear errors for bad values. */
import { fileURLToPath } from "node:url";
import type { LimitSettings } from "./limits.js";

/** Parsed settings. */
export interface DemoConfig {
  port: number;
  host: string;
  store: "pglite" | "redis" | "postgres" | "dynamodb";
  dataDir: string;
  redisUrl: string;
  databaseUrl: string;
  dynamodbEndpoint: string | undefined;
  dynamodbTable: string;
  idleTimeout: number;
  absoluteTimeout: number;
  rotationInterval: number;
  rotationGrace: number;
  freshFor: number;
  secureCookies: boolean;
  /** `DEMO_DBSC`: offer device-bound sessions (DBSC) to browsers that support them (default on). */
  dbsc: boolean;
  /** `TESSERA_DBSC_COOKIE_TTL`: seconds a DBSC bound cookie lives before the browser renews it. */
  dbscCookieTtl: number;
  /** `TLS_CERT` / `TLS_KEY`: PEM files to serve HTTPS with (DBSC needs a secure origin). */
  tls: { cert: string; key: string } | undefined;
  /** `DEMO_ADMIN`: the username made admin at start, if that account exists. */
  adminUsername: string | undefined;
  limits: LimitSettings;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number >= 0, got "${raw}"`);
  }
  return value;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = integer(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be at least 1`);
  return value;
}

function tlsFiles(env: NodeJS.ProcessEnv): DemoConfig["tls"] {
  const cert = env.TLS_CERT?.trim();
  const key = env.TLS_KEY?.trim();
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new Error("TLS_CERT and TLS_KEY go together: set both or neither");
  return { cert, key };
}

/** Reads the settings; throws with the variable's name when one is invalid. */
export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const store = (env.STORE ?? "pglite").toLowerCase();
  if (store !== "pglite" && store !== "redis" && store !== "postgres" && store !== "dynamodb") {
    throw new Error(`STORE must be pglite, redis, postgres or dynamodb, got "${env.STORE}"`);
  }
  return {
    port: integer(env, "PORT", 3000),
    host: env.HOST ?? "127.0.0.1",
    store,
    dataDir: env.DATA_DIR ?? fileURLToPath(new URL("../data", import.meta.url)),
    redisUrl: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    databaseUrl: env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT,
    dynamodbTable: env.DYNAMODB_TABLE ?? "tessera-demo-sessions",
    idleTimeout: integer(env, "TESSERA_IDLE_TIMEOUT", 30 * 60),
    absoluteTimeout: integer(env, "TESSERA_ABSOLUTE_TIMEOUT", 12 * 60 * 60),
    rotationInterval: integer(env, "TESSERA_ROTATION_INTERVAL", 60),
    rotationGrace: integer(env, "TESSERA_ROTATION_GRACE", 10),
    freshFor: integer(env, "TESSERA_FRESH_FOR", 5 * 60),
    // Browsers treat http://localhost as a secure context, so Secure + __Host- cookies work
    // there; set SECURE_COOKIES=false to reach the demo over plain http on another host.
    secureCookies: env.SECURE_COOKIES !== "false",
    dbsc: env.DEMO_DBSC !== "false",
    dbscCookieTtl: positive(env, "TESSERA_DBSC_COOKIE_TTL", 600),
    tls: tlsFiles(env),
    adminUsername: env.DEMO_ADMIN?.trim() || undefined,
    limits: {
      attemptsPerIp: positive(env, "DEMO_ATTEMPTS_PER_IP", 30),
      failuresPerAccount: positive(env, "DEMO_FAILURES_PER_ACCOUNT", 5),
      signupsPerIp: positive(env, "DEMO_SIGNUPS_PER_IP", 10),
      windowSeconds: positive(env, "DEMO_LIMIT_WINDOW", 15 * 60),
      hashConcurrency: positive(env, "DEMO_HASH_CONCURRENCY", 2),
      hashQueue: integer(env, "DEMO_HASH_QUEUE", 4),
      hashPerAddress: positive(env, "DEMO_HASH_PER_ADDRESS", 2),
    },
  };
}
