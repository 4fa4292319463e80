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
 * Lua helpers on a stored value (see codec.ts): `field(s, n)` is field n (from 0) of a value,
 * `num(f)` a base-36 or `~decimal` time, `ends(s)` the ceiling of its absolute expiry, which is
 * the score its index entry has at least.
 */
const FIELDS = `local function field(s, n)
  local from = 1
  for _ = 1, n do
    local at = string.find(s, '\\31', from, true)
    if not at then return nil end
    from = at + 1
  end
  local to = string.find(s, '\\31', from, true)
  return string.sub(s, from, (to or (#s + 1)) - 1)
end
local function num(f)
  if f == nil or f == '' then return 0 end
  if string.sub(f, 1, 1) == '~' then return tonumber(string.sub(f, 2)) end
  if string.sub(f, 1, 1) == '-' then return -tonumber(string.sub(f, 2), 36) end
  return tonumber(f, 36)
end
local function ends(s)
  local created = num(field(s, 4))
  local f = field(s, 6)
  if f and string.sub(f, 1, 1) == '~' then return math.ceil(num(f)) end
  return math.ceil(created + num(f))
end`;

/** Base 36, nine digits: index scores that sort as text in the order of the numbers. */
const BASE36 = `local function b36(n)
  local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
  local s = ''
  for _ = 1, 9 do
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = math.floor(n / 36)
  end
  return s
end`;

/** How many random entries of a bucket each index write checks for expired ones. */
const SWEEP = 3;

/**
 * Index add. KEYS[1] = the user's index bucket (a sorted set whose members all have score 0 and
 * sort as text: `<user tag, 8><end, 9 base-36 digits><session id>`), ARGV[1] = the user's tag,
 * ARGV[2] = the new member, ARGV[3] = its end in ms. Drops the user's entries that have ended,
 * adds the member, drops a few random ended entries of the bucket (users who never come back),
 * and makes the bucket expire no earlier than its latest entry.
 */
export const INDEX_ADD = script(`${NOW}
${BASE36}
local u = ARGV[1]
redis.call('ZREMRANGEBYLEX', KEYS[1], '[' .. u, '(' .. u .. b36(now))
redis.call('ZADD', KEYS[1], 0, ARGV[2])
for _, m in ipairs(redis.call('ZRANDMEMBER', KEYS[1], ${SWEEP})) do
  local ends = tonumber(string.sub(m, 9, 17), 36)
  if ends and ends < now then redis.call('ZREM', KEYS[1], m) end
end
local ttl = redis.call('PTTL', KEYS[1])
local at = tonumber(ARGV[3])
if ttl < 0 or now + ttl < at then redis.call('PEXPIREAT', KEYS[1], at) end
return 1`);

/**
 * Index read. KEYS[1] = the bucket, ARGV[1] = the user's tag. Drops the user's ended entries,
 * returns the others (the session id is each member from its 18th character).
 */
export const INDEX_READ = script(`${NOW}
${BASE36}
local u = ARGV[1]
redis.call('ZREMRANGEBYLEX', KEYS[1], '[' .. u, '(' .. u .. b36(now))
return redis.call('ZRANGEBYLEX', KEYS[1], '[' .. u, '(' .. u .. '~')`);

/**
 * Index remove. KEYS[1] = the bucket, ARGV[1] = the user's tag, ARGV[2...] = session ids whose
 * sessions are gone: removes every entry of the user for those ids.
 */
export const INDEX_REMOVE = script(`local u = ARGV[1]
local gone = {}
for i = 2, #ARGV do gone[ARGV[i]] = true end
local removed = 0
for _, m in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], '[' .. u, '(' .. u .. '~')) do
  if gone[string.sub(m, 18)] then removed = removed + redis.call('ZREM', KEYS[1], m) end
end
return removed`);

/**
 * Compare-and-swap, in one script whatever the index needs. KEYS[1] = session key, ARGV[1] =
 * expected version, ARGV[2] = new value, ARGV[3] = its expiry (PXAT), ARGV[4] = its owner field
 * (empty for a guest), ARGV[5] = its index end, ARGV[6] = "1" when the caller has just indexed
 * it. Returns 1 when written; 0 when the version moved on or the session is gone (never creates
 * it); 2, without writing, when the new value needs an index entry the stored one did not have
 * (another owner, or a later absolute end): the caller indexes it and runs the script again
 * with ARGV[6] = "1".
 */
export const SWAP = script(`${FIELDS}
local stored = redis.call('GET', KEYS[1])
if not stored or field(stored, 0) ~= '2' or field(stored, 1) ~= ARGV[1] then return 0 end
if ARGV[6] ~= '1' and ARGV[4] ~= '' then
  if field(stored, 2) ~= ARGV[4] or tonumber(ARGV[5]) > ends(stored) then return 2 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1`);

/**
 * Delete if owned. KEYS[1] = session key, ARGV[1] = expected owner field. Returns 1 when it
 * deleted a session of that user; a stale index entry can never delete another user's session.
 */
export const DELETE_OWNED = script(`${FIELDS}
local stored = redis.call('GET', KEYS[1])
if not stored or field(stored, 0) ~= '2' or field(stored, 2) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`);

/**
 * Raise an epoch. KEYS[1] = an epoch key (a decimal number of ms), ARGV[1] = the new epoch,
 * ARGV[2] = ms to keep the key after a raise, or "0" for ever. Never lowers it; returns 1 when
 * raised.
 */
export const RAISE_EPOCH = script(`local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) <= current then return 0 end
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1])
else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
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
