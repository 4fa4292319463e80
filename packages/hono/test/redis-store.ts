/**
 * A test-only session store over ioredis, so the integration tests also run against a real,
 * networked store (the real one is @tessera/redis; @tessera/express tests keep the same file).
 * One JSON string per session with native expiry, one set per user, compare-and-swap in Lua.
 */
import type { SessionRecord, SessionStore } from "@tessera/core";
import type { Redis } from "ioredis";

const CAS = `
local current = redis.call("GET", KEYS[1])
if not current then return 0 end
local stored = cjson.decode(current)
if stored.version ~= tonumber(ARGV[2]) or stored.userId ~= ARGV[3] then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PXAT", ARGV[4])
return 1`;

export function redisTestStore(redis: Redis, prefix: string): SessionStore {
  const key = (id: string) => `${prefix}s:${id}`;
  const userKey = (userId: string) => `${prefix}u:${userId}`;
  const live = async (ids: string[]) => {
    if (ids.length === 0) return [];
    const values = await redis.mget(ids.map(key));
    return values.flatMap((value) => (value ? [JSON.parse(value) as SessionRecord] : []));
  };
  return {
    async create(record) {
      const json = JSON.stringify(record);
      const written = await redis.set(key(record.id), json, "PXAT", record.expiresAt, "NX");
      if (written !== "OK") throw new Error(`session ${record.id} already exists`);
      const index = userKey(record.userId);
      // The user index lives as long as the longest session in it (NX: first, GT: later ones).
      await redis
        .multi()
        .sadd(index, record.id)
        .pexpireat(index, record.absoluteExpiresAt, "NX")
        .pexpireat(index, record.absoluteExpiresAt, "GT")
        .exec();
    },
    async get(id) {
      const value = await redis.get(key(id));
      return value ? (JSON.parse(value) as SessionRecord) : null;
    },
    async update(record, expectedVersion) {
      const args = [JSON.stringify(record), expectedVersion, record.userId, record.expiresAt];
      return (await redis.eval(CAS, 1, key(record.id), ...args)) === 1;
    },
    async delete(id) {
      await redis.del(key(id));
    },
    async listByUser(userId) {
      return live(await redis.smembers(userKey(userId)));
    },
    async deleteByUser(userId, exceptId) {
      const ids = (await redis.smembers(userKey(userId))).filter((id) => id !== exceptId);
      if (ids.length === 0) return 0;
      const replies = await redis
        .multi()
        .del(...ids.map(key))
        .srem(userKey(userId), ...ids)
        .exec();
      return Number(replies?.[0]?.[1] ?? 0);
    },
  };
}
