/**
 * `RedisStore`: Tessera sessions in Redis or Redis Cluster through an ioredis or node-redis
 * client.
 *
 * One string key per session (`<prefix>{<shard>}s:<id>`) with native expiry at the record's
 * end, next to its shard's copy of the global revocation epoch (`<prefix>{<shard>}g`), so that
 * validate reads both with one `MGET` in one slot. A user's sessions are indexed in one of 65,536
 * sorted-set buckets (`<prefix>u{<bucket>}`) for `listByUser` and `deleteByUser` without SCAN.
 * Every script touches a single key; the order of the steps keeps the index a superset of the
 * user's live sessions (see the README).
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
  type RevocationEpochs,
  type SessionRecord,
  type SessionStore,
  type StoreCall,
} from "@tessera/core/store";
import { type RedisClient, type RedisCommands, redisCommands } from "./client.js";
import { decode, encode, text } from "./codec.js";
import {
  DELETE_OWNED,
  INDEX_ADD,
  INDEX_READ,
  INDEX_REMOVE,
  RAISE_EPOCH,
  runScript,
  SWAP,
} from "./scripts.js";

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
  if (record.userId !== null) checkString("record.userId", record.userId);
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
 * A session's end in its user's index: its absolute end, which no rotation or idle extension
 * moves, so that an update finds its entry already late enough and leaves the index alone.
 */
function indexEndOf(record: SessionRecord): number {
  return Math.max(expiryOf(record), Math.ceil(record.absoluteExpiresAt));
}

/** 32-bit FNV-1a of a string's UTF-16 code units, from `basis`. */
function fnv1a(value: string, basis: number): number {
  let hash = basis;
  for (let i = 0; i < value.length; i++) {
    hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

const FNV_BASIS = 0x811c9dc5;
/** A second, independent basis, for the user tag inside a bucket. */
const TAG_BASIS = 0x050c5d1f;

/** How many shards sessions (and the copies of the global epoch) are spread over. */
export const SHARDS = 256;
/** How many buckets the user indexes are spread over. */
export const INDEX_BUCKETS = 65_536;

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

/** The shard of a session id: two hex digits. */
/** The shard (0 to `SHARDS - 1`) of session `id`. */
function shardIndex(id: string): number {
  return fnv1a(id, FNV_BASIS) % SHARDS;
}

const ALL_SHARDS = Array.from({ length: SHARDS }, (_, shard) => hex(shard, 2));
/** The shard whose epoch copy is written last and read by `readEpochs`. */
const PRIMARY_SHARD = ALL_SHARDS[0]!;

/** How long a user epoch is kept after it was last raised: 400 days. */
export const USER_EPOCH_MS = 400 * 24 * 60 * 60 * 1000;

/** A user's tag inside their bucket: eight hex digits (exported for the tests, not the package). */
export function userTag(userId: string): string {
  return hex(fnv1a(userId, TAG_BASIS), 8);
}

/** A session's entry in its user's bucket (see scripts.ts, INDEX_ADD). */
function indexMember(userId: string, id: string, end: number): string {
  return `${userTag(userId)}${end.toString(36).padStart(9, "0")}${id}`;
}

function epochOf(value: string | null): number {
  if (value === null) return 0;
  const epoch = Number(value);
  if (!Number.isFinite(epoch)) throw new TypeError("a stored epoch is not a number");
  return epoch;
}

/**
 * A `SessionStore` on Redis (single node, Sentinel-managed or Cluster) through ioredis or
 * node-redis, with revocation epochs.
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
  /** Per shard, the start of its session keys (`<prefix>{<shard>}s:`), built once. */
  readonly #sessionKeyStarts: readonly string[];
  /** Per shard, the key of its copy of the global epoch (`<prefix>{<shard>}g`), built once. */
  readonly #epochKeys: readonly string[];
  /** Every round trip goes through here: deadline, and driver errors as Tessera errors. */
  readonly #call: StoreCall;
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
    this.#sessionKeyStarts = ALL_SHARDS.map((shard) => `${prefix}{${shard}}s:`);
    this.#epochKeys = ALL_SHARDS.map((shard) => `${prefix}{${shard}}g`);
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

  /** The Redis key holding session `id` (a string; its hash tag is the session's shard). */
  sessionKey(id: string): string {
    return this.#sessionKeyStarts[shardIndex(id)] + id;
  }

  /**
   * The Redis key of the bucket that indexes `userId`'s sessions (a sorted set shared with the
   * other users of the bucket; its hash tag is the bucket).
   */
  indexKey(userId: string): string {
    return `${this.#prefix}u{${hex(fnv1a(userId, FNV_BASIS) % INDEX_BUCKETS, 4)}}`;
  }

  /**
   * The Redis key of the global revocation epoch's copy that session `id` is read with (one per
   * shard, in the session's slot).
   */
  globalEpochKey(id: string): string {
    return this.#epochKeys[shardIndex(id)]!;
  }

  #shardEpochKey(shard: string): string {
    return `${this.#prefix}{${shard}}g`;
  }

  /** The Redis key of `userId`'s revocation epoch (a string; absent when never raised). */
  userEpochKey(userId: string): string {
    return `${this.#prefix}e:${userId}`;
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

  /** Adds the session's entry to its user's bucket, before the session key is written. */
  async #index(record: SessionRecord & { userId: string }): Promise<void> {
    const end = indexEndOf(record);
    await this.#call("index add", () =>
      runScript(this.#commands, INDEX_ADD, this.indexKey(record.userId), [
        userTag(record.userId),
        indexMember(record.userId, record.id, end),
        end,
      ]),
    );
  }

  /** Live session ids in a user's index, after dropping entries whose sessions have ended. */
  async #indexedIds(userId: string): Promise<string[]> {
    const members = await this.#call("index read", () =>
      runScript(this.#commands, INDEX_READ, this.indexKey(userId), [userTag(userId)]),
    );
    if (!Array.isArray(members) || !members.every((member) => typeof member === "string")) {
      throw new StoreUnavailableError("Redis answered an index read with something not a list");
    }
    // An id raised to a later end has an entry per end until the earlier one is pruned.
    return [...new Set(members.map((member: string) => member.slice(17)))];
  }

  async #unindex(userId: string, ids: string[]): Promise<void> {
    await this.#call("index remove", () =>
      runScript(this.#commands, INDEX_REMOVE, this.indexKey(userId), [userTag(userId), ...ids]),
    );
  }

  /** Inserts a session; rejects with `SessionConflictError` if the id is taken. */
  async create(record: SessionRecord): Promise<void> {
    this.#checkPolicyOnce();
    checkRecord(record);
    const expiry = expiryOf(record);
    const value = encode(record);
    // A guest is in no index; a user's session is indexed before it exists.
    if (record.userId !== null) await this.#index(record as SessionRecord & { userId: string });
    const created = await this.#call("SET", () =>
      this.#commands.setNew(this.sessionKey(record.id), value, expiry),
    );
    if (!created) throw new SessionConflictError(`a session with id ${record.id} already exists`);
  }

  /** Reads a session with one GET; `null` when absent or expired (Redis expired the key). */
  async get(id: string): Promise<SessionRecord | null> {
    this.#checkPolicyOnce();
    checkString("id", id);
    const stored = await this.#call("GET", () => this.#commands.get(this.sessionKey(id)));
    return stored === null ? null : this.#decode(id, stored);
  }

  /**
   * Compare-and-swap on `version`: one script on the session key, which also moves the native
   * expiry. Only when the record gains an index entry (a guest logging in, a later absolute end)
   * does the store index it first and run the script again.
   */
  async update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    this.#checkPolicyOnce();
    checkRecord(record);
    if (!Number.isSafeInteger(expectedVersion)) {
      throw new InvalidArgumentError("expectedVersion must be an integer");
    }
    const key = this.sessionKey(record.id);
    const value = encode(record);
    const args = [
      String(expectedVersion),
      value,
      expiryOf(record),
      record.userId === null ? "" : text(record.userId),
      indexEndOf(record),
    ];
    const swap = (indexed: "0" | "1") =>
      this.#call("compare-and-swap", () =>
        runScript(this.#commands, SWAP, key, [...args, indexed]),
      );
    const written = await swap("0");
    if (written !== 2) return written === 1;
    await this.#index(record as SessionRecord & { userId: string });
    return (await swap("1")) === 1;
  }

  /** Deletes a session (GETDEL) and then its index entries; resolves if it did not exist. */
  async delete(id: string): Promise<void> {
    this.#checkPolicyOnce();
    checkString("id", id);
    const stored = await this.#call("GETDEL", () => this.#commands.getDel(this.sessionKey(id)));
    if (stored === null) return;
    let userId: string | null = null;
    try {
      userId = decode(id, stored).userId;
    } catch {
      // Unreadable: no owner to unindex; its entries (if any) end with their scores.
    }
    if (userId !== null) await this.#unindex(userId, [id]);
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
      // An entry of another user (same bucket and tag, or a refused create): never list it.
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
    const owner = text(userId);
    const results = await this.#call("delete", () =>
      Promise.all(
        ids.map((id) => runScript(this.#commands, DELETE_OWNED, this.sessionKey(id), [owner])),
      ),
    );
    const deleted = ids.filter((_, i) => results[i] === 1);
    if (deleted.length > 0) await this.#unindex(userId, deleted);
    return deleted.length;
  }

  /**
   * Reads a session and the global revocation epoch with ONE `MGET` (the session key and its
   * shard's copy of the epoch share a hash slot). `epochs.user` is always 0: the user's epoch is
   * in a key only the record names, which a single command cannot reach (see the README); a
   * revokeAll still deletes every indexed session, and core re-checks logins against it.
   */
  getWithEpochs(id: string): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    // Not `async`: validate's one read, so one promise step fewer per request. Errors thrown
    // before the round trip still reject, as from an async method.
    try {
      this.#checkPolicyOnce();
      checkString("id", id);
    } catch (error) {
      return Promise.reject(error);
    }
    const shard = shardIndex(id);
    const keys = [this.#sessionKeyStarts[shard] + id, this.#epochKeys[shard]!];
    return this.#call("MGET", () => this.#commands.mget(keys)).then((values) => {
      const stored = values[0];
      if (stored === null || stored === undefined) return null;
      const record = this.#decode(id, stored);
      return { record, epochs: { global: this.#epoch(values[1] ?? null), user: 0 } };
    });
  }

  #epoch(value: string | null): number {
    try {
      return epochOf(value);
    } catch (error) {
      throw new StoreUnavailableError(
        "a revocation epoch is stored in a form this store cannot read",
        {
          cause: error,
        },
      );
    }
  }

  /** The global epoch (its primary copy) and `userId`'s (0 for `null` or a user never revoked). */
  async readEpochs(userId: string | null): Promise<RevocationEpochs> {
    this.#checkPolicyOnce();
    if (userId !== null) checkString("userId", userId);
    const keys = [this.#shardEpochKey(PRIMARY_SHARD)];
    if (userId !== null) keys.push(this.userEpochKey(userId));
    const values = await this.#call("GET", () => this.#commands.getMany(keys));
    return {
      global: this.#epoch(values[0] ?? null),
      user: userId === null ? 0 : this.#epoch(values[1] ?? null),
    };
  }

  /**
   * Raises the global epoch (`userId` `null`: every shard's copy, the primary last, so that a
   * primary at `at` means every copy is) or `userId`'s (one key, kept 400 days after its last
   * raise) to `at`; never lowers one.
   */
  async raiseEpoch(userId: string | null, at: number): Promise<void> {
    this.#checkPolicyOnce();
    if (typeof at !== "number" || !Number.isFinite(at)) {
      throw new InvalidArgumentError("at must be a finite number of milliseconds");
    }
    const raise = (key: string, keepMs: number) =>
      runScript(this.#commands, RAISE_EPOCH, key, [String(at), keepMs]);
    if (userId !== null) {
      checkString("userId", userId);
      await this.#call("epoch raise", () => raise(this.userEpochKey(userId), USER_EPOCH_MS));
      return;
    }
    await this.#call("epoch raise", () =>
      Promise.all(
        ALL_SHARDS.filter((shard) => shard !== PRIMARY_SHARD).map((shard) =>
          raise(this.#shardEpochKey(shard), 0),
        ),
      ),
    );
    await this.#call("epoch raise", () => raise(this.#shardEpochKey(PRIMARY_SHARD), 0));
  }
}
