/**
 * What a contender is: one small file whose default export starts an HTTP server for one
 * library (in its own child process) and mints the credential the load generator sends.
 * Every server answers `GET /me` with `200 {"userId": ...}` for a valid credential and
 * `401` otherwise, so the comparison only counts real authentications.
 */
import type { RequestListener } from "node:http";
import type { PoolConfig } from "pg";

/** What the harness hands a contender's `start`, in the child process. */
export interface BenchContext {
  /** The machine's shared Redis; use only keys under `redisPrefix`. */
  redisUrl: string;
  /** Key prefix owned by this run (deleted at the end). */
  redisPrefix: string;
  /** node-postgres settings of the shared server. */
  pg: PoolConfig;
  /** Schema owned by this run (dropped at the end); create your tables in it. */
  pgSchema: string;
  /** The shared MySQL-compatible server, and the database owned by this run (dropped at the end). */
  mysql: { uri: string; database: string };
  /**
   * dynalite (DynamoDB's API, in memory) the bench started for this run on a loopback port,
   * or `null` when no contender needs it. Everything in it goes away when it stops.
   */
  dynamodbEndpoint: string | null;
  /** The user every credential is minted for; `/me` must answer it. */
  userId: string;
  /**
   * The client the load generator impersonates (the User-Agent it sends, its loopback IP). A
   * contender may log in for a client without a User-Agent.
   */
  client: { ip: string; userAgent?: string };
  /** The registry entry's `options` (e.g. the JWT algorithm). */
  options: Record<string, unknown>;
}

/** One credential, as the library emitted it. */
export interface Credential {
  /**
   * The `Set-Cookie` value the library produced at login (`name=value; attributes...`), or
   * `""` for a server that needs no credential (the bare ceiling).
   */
  setCookie: string;
  /** The user id `/me` answers for this credential. */
  userId: string;
  /** Bytes the session takes in its store, or `null` where there is no store. */
  storedBytes: number | null;
  /** How `storedBytes` was measured (e.g. `MEMORY USAGE`, `pg_column_size(row)`). */
  storedHow?: string;
}

/** A started contender: its request handler and how to log the bench user in. */
export interface RunningContender {
  /** The HTTP handler (an Express app) serving `GET /me`. */
  app: RequestListener;
  /**
   * Logs the bench user in once and returns the credential. `selfUrl` is this server's base
   * URL, for libraries that only emit their cookie from inside a request.
   */
  prepare(selfUrl: string): Promise<Credential>;
  /** Releases pools and clients. */
  close?(): Promise<void>;
  /** Writes the contender's store has taken so far (Tessera contenders), to report per run. */
  storeWrites?(): StoreWrites;
}

/** A store's write calls so far. */
export interface StoreWrites {
  /** Writes that took effect: creates, deletes, and updates whose compare-and-swap won. */
  written: number;
  /** Updates whose compare-and-swap lost (another request wrote first): nothing written. */
  lost: number;
}

/** The default export of a contender file. */
export interface ContenderModule {
  start(context: BenchContext): Promise<RunningContender>;
}

/** Declares a contender file's default export. */
export function defineContender(
  start: (context: BenchContext) => Promise<RunningContender>,
): ContenderModule {
  return { start };
}

/** The `name=value` pair a client sends back for a `Set-Cookie` value. */
export function cookiePair(setCookie: string): string {
  const end = setCookie.indexOf(";");
  return (end === -1 ? setCookie : setCookie.slice(0, end)).trim();
}
