/**
 * `RedisStore`: Tessera sessions in Redis or Redis Cluster through an ioredis or node-redis
 * client.
 *
 * One string key per session (`<prefix>s:{<id>}`) with native expiry at the record's
 * `expiresAt`, and one sorted set per user (`<prefix>u:{<userId>}`) of session ids scored by
 * expiry, for `listByUser` and `deleteByUser` without SCAN. Every command and script touches a
 * single key, so nothing depends on two keys sharing a hash slot; the order of the steps keeps
 * the index a superset of the user's live sessions (see the README).
 */
import {
  InvalidArgumentError,
  SessionConflictError,
  StoreUnavailableError,
  TesseraConfigError,
} from "@tessera/core";
import {
  createStoreCall,
  endOf,
  fieldsOfKind,
  type SessionRecord,
  type SessionStore,
  type StoreCall,
} from "@tessera/core/store";
import { type RedisClient, type RedisCommands, redisCommands } from "./client.js";
import { decode, encode, header, storedUserId } from "./codec.js";
import { DELETE_OWNED, INDEX_ADD, INDEX_READ, runScript, SWAP } from "./scripts.js";

/** Options of `RedisStore`. */
export interface RedisStoreOptions {
  /**
   * The client, owned by the caller: an ioredis `Redis` or `Cluster`, or a connected node-redis
   * (`redis` v5 or v6) client from `createClient()` or cluster from `createCluster()`. The store
   * never connects, disconnects or reconfigures it. See the README for recommended options.
   */
  client: RedisClient;
  /**
   * Prepended to every key, to share a Redis with other data or other apps.
   * @defaultValue `tessera:`
   */
  prefix?: string;
  /**
   * Milliseconds the store waits for any one Redis round trip before rejecting with
   * `StoreUnavailableError`, whatever the client's own retry and queueing settings. Off by
   * default: core's `storeTimeout` already bounds every store call. Set it to fail a single
   * round trip sooner than that (it is per command; a `listByUser` makes several).
   * @defaultValue `0` (off)
   */
  commandTimeout?: number;
  /**
   * Told once, on the store's first call, when the server's `maxmemory-policy` may evict
   * sessions (`allkeys-*`, `volatile-*`): an evicted session is a user logged out, an evicted
   * index or reuse record a revocation forgotten. With `noeviction` a full Redis refuses writes
   * instead, and Tessera answers 503. The check is one `CONFIG GET maxmemory-policy`; if the
   * server refuses it (managed Redis often does), nothing is said and nothing fails.
   * @defaultValue `console.warn`
   */
  onWarning?: (message: string) => void;
}

/** Eviction policies that may drop session keys (every session key has an expiry). */
const EVICTING = /^(?:allkeys|volatile)-/;

const TIME_FIELDS = fieldsOfKind("time");

function checkString(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidArgumentError(`${name} must be a non-empty string`);
  }
}

function checkRecord(record: SessionRecord): void {
  if (!record || typeof record !== "object") {
    throw new InvalidArgumentError("a session record must be an object");
  }
  checkString("record.id", record.id);
  checkString("record.userId", record.userId);
  checkString("record.secretHash", record.secretHash);
  if (!Number.isSafeInteger(record.version)) {
    throw new InvalidArgumentError("record.version must be an integer");
  }
  for (const field of TIME_FIELDS) {
    if (typeof record[field] !== "number" || !Number.isFinite(record[field])) {
      throw new InvalidArgumentError(`record.${field} must be a finite number of milliseconds`);
    }
  }
}

/** Redis wants an integer, positive PXAT; rounding up never expires a session early. */
function expiryOf(record: SessionRecord): number {
  return Math.max(1, Math.ceil(endOf(record)));
}

/**
 * A session's score in its user's index: its absolute end, which no rotation or idle extension
 * moves, so that an update finds the entry already high enough and skips the index write.
 */
function indexScoreOf(record: SessionRecord): number {
  return Math.max(expiryOf(record), Math.ceil(record.absoluteExpiresAt));
}

/** How many sessions' index scores one store instance remembers (a few hundred kB at most). */
const INDEXED_MEMORY = 10_000;

/**
 * A `SessionStore` on Redis (single node, Sentinel-managed or Cluster) through ioredis or
 * node-redis.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 *
 * const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
 * const sessions = createSessions({ store: new RedisStore({ client: redis, prefix: "myapp:session:" }) });
 * // Redis Cluster: new RedisStore({ client: new Cluster([{ host: "10.0.0.1", port: 6379 }]) })
 * // node-redis: new RedisStore({ client: await createClient({ url }).connect() })
 * ```
 * @throws TesseraConfigError from the constructor without a Redis client, with a non-string
 * `prefix` or a negative `commandTimeout`.
 */
export class RedisStore implements SessionStore {
  readonly #commands: RedisCommands;
  readonly #prefix: string;
  /** Every round trip goes through here: deadline, and driver errors as Tessera errors. */
  readonly #call: StoreCall;
  /**
   * Index scores this instance wrote (user and id → score), oldest first: an update whose score
   * is no higher skips the index round trip. Only ever an optimisation: a session this instance
   * has not indexed, or has forgotten, is indexed again before it is written.
   */
  readonly #indexed = new Map<string, number>();
  readonly #onWarning: (message: string) => void;
  #policyChecked = false;

  /** Checks the options; throws `TesseraConfigError` on a missing client or a bad option. */
  constructor(options: RedisStoreOptions) {
    if (!options || typeof options !== "object") {
      throw new TesseraConfigError("RedisStore needs an options object { client }");
    }
    const commands = redisCommands(options.client);
    const prefix = options.prefix ?? "tessera:";
    if (typeof prefix !== "string") throw new TesseraConfigError("prefix must be a string");
    const timeout = options.commandTimeout ?? 0;
    if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
      throw new TesseraConfigError("commandTimeout must be a number of milliseconds >= 0");
    }
    this.#commands = commands;
    this.#prefix = prefix;
    this.#call = createStoreCall("Redis", { timeout });
    const onWarning = options.onWarning ?? ((message: string) => console.warn(message));
    if (typeof onWarning !== "function") {
      throw new TesseraConfigError("onWarning must be a function (message) => void");
    }
    this.#onWarning = onWarning;
  }

  /** On the first call only: warns, without waiting or failing, if Redis may evict sessions. */
  #checkPolicyOnce(): void {
    if (this.#policyChecked) return;
    this.#policyChecked = true;
    this.#commands.configGet("maxmemory-policy").then(
      (policy) => {
        if (policy === null || !EVICTING.test(policy)) return;
        try {
          this.#onWarning(
            `@tessera/redis: this Redis has maxmemory-policy ${policy}: once it reaches maxmemory it may evict sessions (users logged out) and the records that detect token reuse. Use maxmemory-policy noeviction (a full Redis then refuses writes and Tessera answers 503), or a Redis of its own for sessions.`,
          );
        } catch {
          // A warning hook never breaks a store call.
        }
      },
      () => {
        // CONFIG refused (managed Redis, ACL): nothing to say.
      },
    );
  }

  /** The Redis key holding session `id` (a string; its hash tag is the id). */
  sessionKey(id: string): string {
    return `${this.#prefix}s:{${id}}`;
  }

  /** The Redis key of `userId`'s index (a sorted set of session ids; its hash tag is the user). */
  indexKey(userId: string): string {
    return `${this.#prefix}u:{${userId}}`;
  }

  #decode(id: string, stored: string): SessionRecord {
    try {
      return decode(id, stored);
    } catch (error) {
      throw new StoreUnavailableError(`session ${id} is stored in a form this store cannot read`, {
        cause: error,
      });
    }
  }

  /**
   * Adds (or raises) the index entry before the session key is written (see the README), unless
   * this instance already raised it at least as high.
   */
  async #index(record: SessionRecord): Promise<void> {
    const score = indexScoreOf(record);
    const key = `${record.userId}\u0000${record.id}`;
    const known = this.#indexed.get(key);
    if (known !== undefined && known >= score) return;
    await this.#call("index add", () =>
      runScript(this.#commands, INDEX_ADD, this.indexKey(record.userId), [record.id, score]),
    );
    this.#indexed.delete(key);
    this.#indexed.set(key, score);
    if (this.#indexed.size > INDEXED_MEMORY) {
      this.#indexed.delete(this.#indexed.keys().next().value as string);
    }
  }

  #forgetIndexed(userId: string, id: string) {
    this.#indexed.delete(`${userId}\u0000${id}`);
  }

  /** Live session ids in a user's index, after dropping entries whose sessions have expired. */
  async #indexedIds(userId: string): Promise<string[]> {
    const ids = await this.#call("index read", () =>
      runScript(this.#commands, INDEX_READ, this.indexKey(userId), []),
    );
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new StoreUnavailableError("Redis answered an index read with something not a list");
    }
    return ids;
  }

  /** Inserts a session; rejects with `SessionConflictError` if the id is taken. */
  async create(record: SessionRecord): Promise<void> {
    this.#checkPolicyOnce();
    checkRecord(record);
    const expiry = expiryOf(record);
    const value = encode(record);
    await this.#index(record);
    const created = await this.#call("SET", () =>
      this.#commands.setNew(this.sessionKey(record.id), value, expiry),
    );
    if (!created) {
      this.#forgetIndexed(record.userId, record.id);
      throw new SessionConflictError(`a session with id ${record.id} already exists`);
    }
  }

  /** Reads a session with one GET; `null` when absent or expired (Redis expired the key). */
  async get(id: string): Promise<SessionRecord | null> {
    this.#checkPolicyOnce();
    checkString("id", id);
    const stored = await this.#call("GET", () => this.#commands.get(this.sessionKey(id)));
    return stored === null ? null : this.#decode(id, stored);
  }

  /** Compare-and-swap on `version` (a Lua script on the session key); moves the native expiry. */
  async update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    this.#checkPolicyOnce();
    checkRecord(record);
    if (!Number.isSafeInteger(expectedVersion)) {
      throw new InvalidArgumentError("expectedVersion must be an integer");
    }
    const expiry = expiryOf(record);
    const value = encode(record);
    await this.#index(record);
    const written = await this.#call("compare-and-swap", () =>
      runScript(this.#commands, SWAP, this.sessionKey(record.id), [
        header(record.userId, expectedVersion),
        value,
        expiry,
      ]),
    );
    return written === 1;
  }

  /** Deletes a session (GETDEL) and then its index entry; resolves if it did not exist. */
  async delete(id: string): Promise<void> {
    this.#checkPolicyOnce();
    checkString("id", id);
    const stored = await this.#call("GETDEL", () => this.#commands.getDel(this.sessionKey(id)));
    const userId = stored === null ? null : storedUserId(stored);
    if (userId !== null) {
      this.#forgetIndexed(userId, id);
      await this.#call("ZREM", () => this.#commands.zRem(this.indexKey(userId), [id]));
    }
  }

  /** The user's live sessions: one index read, then one GET per indexed id (MGET on one node). */
  async listByUser(userId: string): Promise<SessionRecord[]> {
    this.#checkPolicyOnce();
    checkString("userId", userId);
    const ids = await this.#indexedIds(userId);
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.sessionKey(id));
    const values = await this.#call("GET", () => this.#commands.getMany(keys));
    const records: SessionRecord[] = [];
    values.forEach((stored, i) => {
      if (stored === null) return; // expired or deleted since the index read
      const record = this.#decode(ids[i]!, stored);
      // An entry left by a refused create may name another user's session: never list it.
      if (record.userId === userId) records.push(record);
    });
    return records;
  }

  /**
   * Deletes the user's sessions except `exceptId`, each with a script that checks the owner, then
   * their index entries. Resolves to the number deleted.
   */
  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    this.#checkPolicyOnce();
    checkString("userId", userId);
    const ids = (await this.#indexedIds(userId)).filter((id) => id !== exceptId);
    if (ids.length === 0) return 0;
    const owner = header(userId);
    const results = await this.#call("delete", () =>
      Promise.all(
        ids.map((id) => runScript(this.#commands, DELETE_OWNED, this.sessionKey(id), [owner])),
      ),
    );
    const deleted = ids.filter((_, i) => results[i] === 1);
    for (const id of deleted) this.#forgetIndexed(userId, id);
    if (deleted.length > 0) {
      await this.#call("ZREM", () => this.#commands.zRem(this.indexKey(userId), deleted));
    }
    return deleted.length;
  }
}
