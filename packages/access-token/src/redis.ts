/**
 * `redisRevocationFeed`: revocation messages over Redis. Each publish appends to a stream (the
 * replay log, trimmed by age) and publishes on a channel in one script, so the log order and the
 * live order are the same. A subscriber listens on the channel, and whenever its connection is
 * (re)established it subscribes first, then reads the stream from the last id it read there:
 * nothing published while it was away is missed. The read position comes only from ids the stream
 * itself returned, never from a message: a forged message cannot move it past real revocations.
 */
import { TesseraConfigError } from "@tessera/core";
import type { Cluster, Redis } from "ioredis";
import type { RevocationFeed, RevocationListener, RevocationSubscription } from "./feed.js";

/** Options of `redisRevocationFeed`. */
export interface RedisRevocationFeedOptions {
  /**
   * An ioredis client, owned by the caller (never closed here). Publishing and catch-up reads use
   * it; each subscription opens its own connection with `client.duplicate()`.
   */
  client: Redis | Cluster;
  /** Prefix of the stream key and the channel name. @defaultValue `"tessera:revocations:"` */
  prefix?: string;
  /**
   * Seconds a revocation stays in the replay log: at least the tokens' lifetime plus clock
   * tolerance. A verifier away for longer misses only revocations whose tokens have expired.
   * @defaultValue 900
   */
  retention?: number;
  /** Milliseconds a catch-up read may take before it is retried. @defaultValue 2000 */
  readTimeout?: number;
}

const PUBLISH = `
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', 'r', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return id`;
const PAGE = 1000;
const RETRY_MS = 250;

/** Orders two stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A revocation feed on Redis (single node or Cluster; Redis 6.2+ for `MINID` and exclusive ranges).
 *
 * @example
 * ```ts
 * const feed = redisRevocationFeed({ client: new Redis(process.env.REDIS_URL) });
 * ```
 */
export function redisRevocationFeed(options: RedisRevocationFeedOptions): RevocationFeed {
  if (!options || typeof options.client?.duplicate !== "function") {
    throw new TesseraConfigError("redisRevocationFeed needs { client } (an ioredis client)");
  }
  const { client } = options;
  const prefix = options.prefix ?? "tessera:revocations:";
  const retentionMs = (options.retention ?? 900) * 1000;
  const readTimeout = options.readTimeout ?? 2000;
  if (!Number.isFinite(retentionMs) || retentionMs <= 0) {
    throw new TesseraConfigError("retention must be a positive number of seconds");
  }
  // The stream and the channel share a hash tag: one slot in a Cluster.
  const logKey = `${prefix}{log}`;
  const channel = `${prefix}{log}:live`;

  async function publish(message: string): Promise<void> {
    if (typeof message !== "string") throw new TesseraConfigError("publish takes a string");
    const minId = String(Math.max(0, Date.now() - retentionMs));
    await client.eval(PUBLISH, 1, logKey, minId, message, channel);
  }

  async function subscribe(listener: RevocationListener): Promise<RevocationSubscription> {
    const subscriber =
      "isCluster" in client && client.isCluster
        ? (client as Cluster).duplicate()
        : (client as Redis).duplicate({
            // Keep trying for ever: a verifier must come back whatever the app's own client does.
            retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
            maxRetriesPerRequest: null,
          });
    let closed = false;
    let state: "live" | "lost" | null = null;
    /** Highest id read back from the stream: where the next catch-up starts. */
    let lastId: string | null = null;
    /** Live messages heard while catching up, delivered after the log read (publish order). */
    let heardWhileCatchingUp: string[] = [];
    /** Bumped on every (re)connection: a catch-up of an older connection stops. */
    let generation = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let settleFirst: (() => void) | undefined;
    const first = new Promise<void>((resolve) => {
      settleFirst = resolve;
    });

    /** Reports a state change; `settle` ends the wait of `subscribe` (not while catching up). */
    const report = (next: "live" | "lost", settle = true) => {
      if (settle) settleFirst?.();
      if (state === next || closed) return;
      state = next;
      listener.status(next);
    };

    async function catchUp(mine: number) {
      if (closed || mine !== generation) return;
      report("lost", false);
      try {
        // Subscribe before reading: a revocation published in between arrives live, or is in
        // the log read below (both is fine), never neither.
        await withTimeout(subscriber.subscribe(channel), readTimeout);
        let start = lastId === null ? "-" : `(${lastId}`;
        for (;;) {
          const page = await withTimeout(
            client.xrange(logKey, start, "+", "COUNT", PAGE),
            readTimeout,
          );
          if (mine !== generation) return;
          for (const [id, fields] of page) {
            if (compareIds(id, lastId ?? "0-0") > 0) lastId = id;
            listener.message(fields[1] ?? "");
          }
          if (page.length < PAGE) break;
          start = `(${page.at(-1)![0]}`;
        }
        const heard = heardWhileCatchingUp;
        heardWhileCatchingUp = [];
        // Some of these were also in the log: the subscriber ignores a message it already has.
        for (const message of heard) listener.message(message);
        report("live");
      } catch {
        if (closed || mine !== generation) return;
        retry = setTimeout(() => void catchUp(mine), RETRY_MS);
        (retry as { unref?: () => void }).unref?.();
      }
    }

    subscriber.on("message", (from: string, message: string) => {
      if (from !== channel) return;
      if (state === "live") listener.message(message);
      else heardWhileCatchingUp.push(message);
    });
    subscriber.on("ready", () => {
      generation++;
      clearTimeout(retry);
      void catchUp(generation);
    });
    const down = () => {
      generation++;
      heardWhileCatchingUp = [];
      clearTimeout(retry);
      report("lost");
    };
    subscriber.on("close", down);
    subscriber.on("end", down);
    subscriber.on("error", () => {}); // the connection state is reported through close/ready
    // A duplicate of a `lazyConnect` client waits for a first command: connect it now.
    if (subscriber.status === "wait") subscriber.connect().catch(() => {});

    // A verifier starts even when Redis is down: resolve on the first outcome, or after a while.
    const startTimer = setTimeout(() => report("lost"), readTimeout);
    await first;
    clearTimeout(startTimer);

    return {
      async close() {
        closed = true;
        generation++;
        clearTimeout(retry);
        subscriber.disconnect();
      },
    };
  }

  return { publish, subscribe };
}
