/**
 * `RedisLimitCounter`: the counts of Tessera's built-in limits (token endpoint, DBSC refresh,
 * login throttle) in Redis, shared by every server. Each count is one key, changed by one
 * script (`INCR`, then `PEXPIRE` on the first hit), so it is atomic on its own and valid in
 * Redis Cluster wherever the key lives.
 */
import { createHash } from "node:crypto";
import { TesseraConfigError } from "@tessera/core";
import type { LimitCount, LimitCounter } from "@tessera/core/http";
import { createStoreCall, type StoreCall } from "@tessera/core/store";
import { type RedisClient, type RedisCommands, redisCommands } from "./client.js";
import { runScript, type Script } from "./scripts.js";

function script(source: string): Script {
  // SHA1 here is Redis's script cache key, not a security measure.
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * KEYS[1] = the count, ARGV[1] = the window in ms. Adds one; the first hit starts the window.
 * A count left without an expiry (written by hand, or a lost PEXPIRE) gets one, so no key
 * outlives its window for ever. Answers { count, ms left }.
 */
const HIT = script(`local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { n, ttl }`);

/** KEYS[1] = the count. Answers { count, ms left }, or false when there is none. */
const PEEK = script(`local n = redis.call('GET', KEYS[1])
if not n then return false end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return false end
return { tonumber(n), ttl }`);

/** Options of `RedisLimitCounter`. */
export interface RedisLimitCounterOptions {
  /** An ioredis `Redis` or `Cluster`, or a connected node-redis client or cluster. */
  client: RedisClient;
  /**
   * Prefix of every key (a count is `<prefix><limit key>`).
   * @defaultValue `"tessera:limit:"`
   */
  prefix?: string;
  /**
   * Milliseconds a command may take before the limit answers 503 (`StoreUnavailableError`).
   * @defaultValue `0` (the client's own timeouts)
   */
  commandTimeout?: number;
}

function countOf(reply: unknown): LimitCount | null {
  if (reply === null || reply === false || reply === undefined) return null;
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new TypeError("Redis answered a limit count with something not a pair");
  }
  return { count: Number(reply[0]), resetInMs: Math.max(0, Number(reply[1])) };
}

/**
 * The `LimitCounter` of Tessera's limits, in Redis: pass it as `counter` to
 * `createLoginThrottle`, the token endpoint's `limits` and `createDbsc`'s `refreshLimits`, so
 * every server counts together. A Redis failure answers 503 (`StoreUnavailableError`), never
 * "allowed": the limits fail closed, like the sessions.
 *
 * @example
 * ```ts
 * import { createLoginThrottle } from "@tessera/core";
 * import { RedisLimitCounter } from "@tessera/redis";
 * const throttle = createLoginThrottle({ counter: new RedisLimitCounter({ client: redis }) });
 * ```
 * @throws TesseraConfigError without a Redis client, or with a bad option.
 */
export class RedisLimitCounter implements LimitCounter {
  readonly #commands: RedisCommands;
  readonly #prefix: string;
  readonly #call: StoreCall;

  /** Checks the options; throws `TesseraConfigError` on a missing client or a bad option. */
  constructor(options: RedisLimitCounterOptions) {
    if (!options || typeof options !== "object") {
      throw new TesseraConfigError("RedisLimitCounter needs an options object { client }");
    }
    this.#commands = redisCommands(options.client);
    const prefix = options.prefix ?? "tessera:limit:";
    if (typeof prefix !== "string") throw new TesseraConfigError("prefix must be a string");
    const timeout = options.commandTimeout ?? 0;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
      throw new TesseraConfigError("commandTimeout must be a number of milliseconds >= 0");
    }
    this.#prefix = prefix;
    this.#call = createStoreCall("Redis", { timeout });
  }

  /** Adds one to `key`; the first hit starts a window of `windowMs`. */
  async hit(key: string, windowMs: number): Promise<LimitCount> {
    const reply = await this.#call("limit hit", () =>
      runScript(this.#commands, HIT, this.#prefix + key, [Math.max(1, Math.ceil(windowMs))]),
    );
    const count = countOf(reply);
    if (count === null) throw new TypeError("Redis answered a limit hit with no count");
    return count;
  }

  /** `key`'s count without adding to it, or `null`. */
  async peek(key: string): Promise<LimitCount | null> {
    const reply = await this.#call("limit peek", () =>
      runScript(this.#commands, PEEK, this.#prefix + key, []),
    );
    return countOf(reply);
  }

  /** Forgets `key`. */
  async reset(key: string): Promise<void> {
    await this.#call("limit reset", () => this.#commands.getDel(this.#prefix + key));
  }
}
