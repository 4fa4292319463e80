/**
 * The Lua scripts of the store. Each one touches exactly one key, so each is atomic on its own
 * and valid in Redis Cluster wherever the key lives; the order in which the store runs them is
 * what keeps the per-user index correct (see the README, "Why one key per script").
 *
 * Scripts run with EVALSHA and fall back to EVAL when the node does not have them cached yet
 * (first use, a restart, a failover, a new cluster node); EVAL caches them again.
 */
import { createHash } from "node:crypto";
import type { RedisCommands } from "./client.js";

/** A Lua script and its SHA1, as EVALSHA wants it. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  // SHA1 here is Redis's script cache key, not a security measure.
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** Redis server time in milliseconds: every expiry decision uses the clock that expires keys. */
const NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)";

/**
 * Index add. KEYS[1] = a user's index (sorted set of session ids scored by expiry), ARGV[1] =
 * session id, ARGV[2] = expiry in ms. Drops entries whose sessions have expired, raises (never
 * lowers) the entry's score, and makes the index expire with its latest session.
 */
export const INDEX_ADD = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], latest[2])
return 1`);

/** Index read. KEYS[1] = a user's index. Drops expired entries, returns the remaining ids. */
export const INDEX_READ = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`);

/**
 * True when the stored value's header (from its first comma) starts with ARGV[1]: the same user,
 * and for compare-and-swap the same version. A string compare, so no JSON decoding in Lua.
 */
const HEADER_MATCHES = `local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local at = string.find(stored, ',', 1, true)
if not at or string.sub(stored, at, at + #ARGV[1] - 1) ~= ARGV[1] then return 0 end`;

/**
 * Compare-and-swap. KEYS[1] = session key, ARGV[1] = expected header (user and version),
 * ARGV[2] = new value, ARGV[3] = expiry in ms. Returns 1 when written, 0 when the version moved
 * on or the session is gone (never creates it).
 */
export const SWAP = script(`${HEADER_MATCHES}
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1`);

/**
 * Delete if owned. KEYS[1] = session key, ARGV[1] = expected header (user). Returns 1 when it
 * deleted a session of that user; a stale index entry can never delete another user's session.
 */
export const DELETE_OWNED = script(`${HEADER_MATCHES}
redis.call('DEL', KEYS[1])
return 1`);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/** Runs `script` on the node owning `key`: EVALSHA, then EVAL if the script is not cached there. */
export async function runScript(
  commands: RedisCommands,
  { sha, source }: Script,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  const text = args.map(String);
  try {
    return await commands.evalSha(sha, key, text);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return commands.eval(source, key, text);
  }
}
