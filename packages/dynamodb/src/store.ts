/**
 * `DynamoDBStore`: one item per session keyed by its id, and a user index kept in the base table
 * (one small item per session under the user's partition key) so that list and revokeAll read it
 * with strong consistency; a TTL attribute for native expiry plus a read-side expiry check
 * (DynamoDB deletes expired items late), and compare-and-swap writes conditioned on `version`.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  InvalidArgumentError,
  SessionConflictError,
  StoreUnavailableError,
  TesseraConfigError,
} from "@tessera/core";
import {
  createStoreCall,
  isLive,
  type RevocationEpochs,
  type SessionRecord,
  type SessionStore,
  type StoreCall,
} from "@tessera/core/store";
import { EPOCH_ATTRIBUTE } from "./attributes.js";
import {
  epochOf,
  epochShardOf,
  fromItem,
  GLOBAL_EPOCH_SHARDS,
  globalEpochKeyOf,
  type Item,
  indexedIdOf,
  indexItemOf,
  indexKeyOf,
  keyOf,
  toItem,
  userEpochKeyOf,
} from "./item.js";
import { type ResolvedLayout, resolveLayout, type TableLayout } from "./layout.js";

/** Options of `DynamoDBStore`: the table layout plus the client and tuning knobs. */
export interface DynamoDBStoreOptions extends TableLayout {
  /**
   * An AWS SDK v3 `DynamoDBClient`. Its retry settings (`maxAttempts`, `retryMode`) decide how
   * long a throttled or unreachable DynamoDB is retried before the store gives up.
   */
  client: DynamoDBClient;
  /**
   * Items per page when querying the user index (`Limit`).
   * @defaultValue none: DynamoDB's own 1 MB pages (several thousand sessions)
   */
  pageSize?: number;
  /**
   * Requests in flight at once for one `listByUser` or `deleteByUser`.
   * @defaultValue `8`
   */
  concurrency?: number;
  /**
   * Clock in milliseconds for the read-side expiry check.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** DynamoDB's limit of keys per `BatchGetItem`. */
const BATCH_GET_LIMIT = 100;
/** Retries of keys DynamoDB returns as unprocessed (it does so under load) before giving up. */
const UNPROCESSED_RETRIES = 8;

/**
 * How long a user's epoch item outlives its last raise before DynamoDB's TTL may delete it. Only
 * `readEpochs` reads it (the hot read answers `user: 0`, see `getWithEpochs`), to close the race
 * of a login with a revokeAll, which lasts seconds; 400 days keeps it far past any session.
 */
const USER_EPOCH_TTL_MS = 400 * 24 * 60 * 60 * 1000;

/** What an operator should check, by the SDK's error name. */
const HINTS = {
  ResourceNotFoundException:
    "no such table; create it with createTable from @tessera/dynamodb/setup",
  ValidationException:
    "does the table have the sort key of this layout? see the README's migration notes",
};

/**
 * Settles like a conditional write, but with `null` when its condition failed: a lost race or
 * a taken id, for the caller to decide on, never a store failure.
 */
async function conditional<T>(write: Promise<T>): Promise<T | null> {
  try {
    return await write;
  } catch (error) {
    // By name, not `instanceof`: an application may load two copies of the SDK.
    if (error instanceof Error && error.name === "ConditionalCheckFailedException") return null;
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure rejects. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A logger without `info`, for a client whose logger is the SDK's do-nothing default. The SDK
 * makes a log-safe copy of each command's input and output (every attribute of the item, walked
 * against the operation's schema) and hands it to `logger.info`, even when `info` does nothing;
 * for the hot read, that copy cost about as much as decoding the item. Without `info`, the SDK
 * skips it; everything else the SDK may log through (`debug`, `warn`, `error`) still does nothing.
 */
const LOGS_NOWHERE = Object.freeze({
  trace() {},
  debug() {},
  warn() {},
  error() {},
});

/** Whether `client` logs through the SDK's default `NoOpLogger` (no logger configured). */
function logsNowhere(client: DynamoDBClient): boolean {
  const logger: unknown = (client as { config?: { logger?: unknown } }).config?.logger;
  return typeof logger === "object" && logger !== null && logger.constructor?.name === "NoOpLogger";
}

/** What `quiet` needs of a command: its own middleware stack. */
interface QuietCommand {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { logger?: unknown },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: "initialize"; priority: "high"; name: string },
    ): void;
  };
}

/**
 * `command` with its logger swapped for `LOGS_NOWHERE`, in this command's own middleware stack
 * (never the application's client). Only for a client that `logsNowhere`, so nothing that would
 * have been logged is lost.
 */
function quiet(command: QuietCommand): QuietCommand {
  command.middlewareStack.add(
    (next, context) => (args) => {
      context.logger = LOGS_NOWHERE;
      return next(args);
    },
    { step: "initialize", priority: "high", name: "tesseraLogsNowhere" },
  );
  return command;
}

function positiveInteger(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new TesseraConfigError(`${what} must be a positive integer`);
  }
  return value;
}

/**
 * A `SessionStore` on Amazon DynamoDB (or anything speaking its API: DynamoDB Local, dynalite).
 * Reads that decide validity are strongly consistent; writes are conditional. See the README
 * for the table design, capacity costs and the Global Tables caveat.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
 *
 * const client = new DynamoDBClient({
 *   maxAttempts: 3,
 *   requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
 * });
 * const sessions = createSessions({ store: new DynamoDBStore({ client, tableName: "sessions" }) });
 * ```
 * @throws TesseraConfigError from the constructor for a missing client or table name, or key and
 * TTL attribute names that collide; sends nothing.
 */
export class DynamoDBStore implements SessionStore {
  readonly #send: DynamoDBClient["send"];
  readonly #layout: ResolvedLayout;
  readonly #pageSize: number | undefined;
  readonly #concurrency: number;
  readonly #now: () => number;
  readonly #call: StoreCall;

  /** Checks the options; throws `TesseraConfigError` on unusable ones. Sends no request. */
  constructor(options: DynamoDBStoreOptions) {
    if (!options || typeof options !== "object") {
      throw new TesseraConfigError("DynamoDBStore needs options: { client, tableName }");
    }
    if (!options.client || typeof options.client.send !== "function") {
      throw new TesseraConfigError("DynamoDBStore needs `client`: a DynamoDBClient");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TesseraConfigError("now must be a function returning epoch milliseconds");
    }
    const client = options.client;
    this.#send = logsNowhere(client)
      ? (((command: QuietCommand) =>
          client.send(quiet(command) as never)) as DynamoDBClient["send"])
      : client.send.bind(client);
    this.#layout = resolveLayout(options);
    this.#pageSize = positiveInteger(options.pageSize, "pageSize");
    this.#concurrency = positiveInteger(options.concurrency, "concurrency") ?? 8;
    this.#now = options.now ?? Date.now;
    this.#call = createStoreCall(`DynamoDB (table "${this.#layout.tableName}")`, { hints: HINTS });
  }

  /** The table this store uses. */
  get tableName(): string {
    return this.#layout.tableName;
  }

  /**
   * Writes the session's index item (none for a guest), then the session item. In that order, a session item never
   * exists without its index item, so a revokeAll that reads the index after this returned finds
   * it. The condition lets a new session take the id of an item that has expired but that
   * DynamoDB's TTL has not deleted yet. Rejects with `SessionConflictError` when a live session
   * holds the id.
   */
  async create(record: SessionRecord): Promise<void> {
    const l = this.#layout;
    const userId = record.userId;
    // A guest session (no user yet) is in no user index.
    if (userId !== null) {
      await this.#call("PutItem (create, user index)", () =>
        this.#send(
          new PutItemCommand({ TableName: l.tableName, Item: indexItemOf(l, userId, record) }),
        ),
      );
    }
    const written = await this.#call("PutItem (create)", () =>
      conditional(
        this.#send(
          new PutItemCommand({
            TableName: l.tableName,
            Item: toItem(l, record),
            ConditionExpression: "attribute_not_exists(#key) OR #expiresAt <= :now",
            ExpressionAttributeNames: { "#key": l.partitionKey, "#expiresAt": "expiresAt" },
            ExpressionAttributeValues: { ":now": { N: String(this.#now()) } },
          }),
        ),
      ),
    );
    if (written === null) {
      throw new SessionConflictError(`session id ${record.id} is already taken`);
    }
  }

  /**
   * Reads a session with a strongly consistent `GetItem` (1 read unit for an item under 4 KB),
   * so a rotation or revocation made through any server is seen at once. Items past
   * `expiresAt` are `null` even while they still sit in the table.
   */
  async get(id: string): Promise<SessionRecord | null> {
    const l = this.#layout;
    const { Item: item } = await this.#call("GetItem", () =>
      this.#send(
        new GetItemCommand({ TableName: l.tableName, Key: keyOf(l, id), ConsistentRead: true }),
      ),
    );
    if (!item) return null;
    const record = fromItem(l, item);
    return isLive(record, this.#now()) ? record : null;
  }

  /**
   * Compare-and-swap: replaces the item only if its `version` is `expectedVersion`, it has not
   * expired and it belongs to the same user (or is a guest's, for a guest record). A failed condition is a lost race and resolves
   * `false`, never an error.
   */
  async update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    const l = this.#layout;
    const written = await this.#call("PutItem (update)", () =>
      conditional(
        this.#send(
          new PutItemCommand({
            TableName: l.tableName,
            Item: toItem(l, record),
            ConditionExpression: `#version = :expected AND #expiresAt > :now AND ${
              record.userId === null ? "attribute_not_exists(#user)" : "#user = :user"
            }`,
            ExpressionAttributeNames: {
              "#version": "version",
              "#expiresAt": "expiresAt",
              "#user": l.userAttribute,
            },
            ExpressionAttributeValues: {
              ":expected": { N: String(expectedVersion) },
              ":now": { N: String(this.#now()) },
              ...(record.userId === null ? {} : { ":user": { S: l.userPrefix + record.userId } }),
            },
          }),
        ),
      ),
    );
    return written !== null;
  }

  /**
   * Deletes a session item, then its index item (the old item names the user); deleting a missing
   * one succeeds.
   */
  async delete(id: string): Promise<void> {
    const l = this.#layout;
    const { Attributes: old } = await this.#call("DeleteItem", () =>
      this.#send(
        new DeleteItemCommand({
          TableName: l.tableName,
          Key: keyOf(l, id),
          ReturnValues: "ALL_OLD",
        }),
      ),
    );
    const user = old?.[l.userAttribute]?.S;
    if (user === undefined || !user.startsWith(l.userPrefix)) return;
    await this.#deleteIndexItem(user.slice(l.userPrefix.length), id);
  }

  async #deleteIndexItem(userId: string, id: string): Promise<void> {
    const l = this.#layout;
    await this.#call("DeleteItem (user index)", () =>
      this.#send(new DeleteItemCommand({ TableName: l.tableName, Key: indexKeyOf(l, userId, id) })),
    );
  }

  /**
   * A user's live sessions: the ids come from a strongly consistent `Query` of the user's
   * partition, the items from strongly consistent `BatchGetItem`s, so a session created before
   * the call is listed, what is listed is current, and nothing deleted is listed.
   */
  async listByUser(userId: string): Promise<SessionRecord[]> {
    const l = this.#layout;
    const ids = await this.#sessionIdsOf(userId);
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
      chunks.push(ids.slice(i, i + BATCH_GET_LIMIT));
    }
    const pages = await mapLimit(chunks, this.#concurrency, (chunk) =>
      this.#batchGet(chunk.map((id) => keyOf(l, id))),
    );
    const now = this.#now();
    return pages
      .flat()
      .map((item) => fromItem(l, item))
      .filter((record) => isLive(record, now) && record.userId === userId);
  }

  /**
   * Deletes a user's sessions but `exceptId`: the ids come from a strongly consistent `Query` of
   * the user's partition, so every session created before the call is found; each session item
   * goes with a `DeleteItem` conditioned on the user and returning the old item, so the count is
   * exact (live sessions this call removed) even when two revokeAll calls race; then its index
   * item goes.
   */
  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    const ids = (await this.#sessionIdsOf(userId)).filter((id) => id !== exceptId);
    const now = this.#now();
    const removed = await mapLimit(ids, this.#concurrency, async (id) => {
      const live = await this.#deleteOwned(userId, id, now);
      await this.#deleteIndexItem(userId, id);
      return live;
    });
    return removed.filter(Boolean).length;
  }

  /** Deletes session `id` if it belongs to `userId`; resolves whether it was live. */
  async #deleteOwned(userId: string, id: string, now: number): Promise<boolean> {
    const l = this.#layout;
    const deleted = await this.#call("DeleteItem (deleteByUser)", () =>
      conditional(
        this.#send(
          new DeleteItemCommand({
            TableName: l.tableName,
            Key: keyOf(l, id),
            ConditionExpression: "#user = :user",
            ExpressionAttributeNames: { "#user": l.userAttribute },
            ExpressionAttributeValues: { ":user": { S: l.userPrefix + userId } },
            ReturnValues: "ALL_OLD",
          }),
        ),
      ),
    );
    // Gone already (another revocation, TTL) or reused by another user: nothing to count.
    const old = deleted?.Attributes;
    if (!old) return false;
    return isLive(
      { expiresAt: Number(old.expiresAt?.N), absoluteExpiresAt: Number(old.absoluteExpiresAt?.N) },
      now,
    );
  }

  /**
   * Session ids in one user's partition, every page of them, read with strong consistency (a
   * base-table `Query`; a global secondary index could not be: it lags behind the table).
   */
  async #sessionIdsOf(userId: string): Promise<string[]> {
    const l = this.#layout;
    const names: Record<string, string> = { "#pk": l.partitionKey, "#sk": l.sortKey };
    const values: Record<string, AttributeValue> = { ":user": { S: l.userPrefix + userId } };
    let condition = "#pk = :user";
    if (l.keyPrefix) {
      // The user's partition may hold other entities of a single-table design: read sessions only.
      condition += " AND begins_with(#sk, :keyPrefix)";
      values[":keyPrefix"] = { S: l.keyPrefix };
    }
    const ids = new Set<string>();
    let startKey: Item | undefined;
    do {
      const page = await this.#call("Query (user index)", () =>
        this.#send(
          new QueryCommand({
            TableName: l.tableName,
            KeyConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ProjectionExpression: "#sk",
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
            Limit: this.#pageSize,
          }),
        ),
      );
      for (const key of page.Items ?? []) {
        const id = indexedIdOf(l, key);
        if (id !== null) ids.add(id);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...ids];
  }

  /** Strongly consistent `BatchGetItem` of up to 100 keys, retrying unprocessed keys. */
  async #batchGet(all: Item[]): Promise<Item[]> {
    const l = this.#layout;
    const items: Item[] = [];
    let keys = all;
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) {
        throw new StoreUnavailableError(
          `DynamoDB BatchGetItem on table "${l.tableName}" left ${keys.length} keys unprocessed after ${UNPROCESSED_RETRIES} retries`,
        );
      }
      if (attempt > 0) {
        // Exponential backoff with jitter, as DynamoDB asks for unprocessed keys.
        await sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
      const result = await this.#call("BatchGetItem", () =>
        this.#send(
          new BatchGetItemCommand({
            RequestItems: { [l.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        ),
      );
      items.push(...(result.Responses?.[l.tableName] ?? []));
      keys = result.UnprocessedKeys?.[l.tableName]?.Keys ?? [];
    }
    return items;
  }

  /**
   * Reads a session and the global epoch in ONE strongly consistent `BatchGetItem` (the session
   * item and the global epoch shard its id maps to; 2 read units). The user's epoch cannot be in
   * that request, since its key needs the user id the session item holds: `user` is always 0
   * here. The guarantee holds without it: revokeAll deletes the user's sessions through the
   * strongly consistent user index after raising the epoch, and a login racing it re-reads the
   * epochs with `readEpochs`. `null` when absent or past `expiresAt`, as `get`.
   */
  async getWithEpochs(
    id: string,
  ): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    const l = this.#layout;
    const key = keyOf(l, id);
    const sessionKey = key[l.partitionKey]?.S;
    const items = await this.#batchGet([key, globalEpochKeyOf(l, epochShardOf(id))]);
    let item: Item | undefined;
    let global = 0;
    for (const found of items) {
      if (found[l.partitionKey]?.S === sessionKey) item = found;
      else global = epochOf(l, found);
    }
    if (!item) return null;
    const record = fromItem(l, item);
    if (!isLive(record, this.#now())) return null;
    return { record, epochs: { global, user: 0 } };
  }

  /**
   * The global epoch and `userId`'s (0 for `null` or a user never revoked), in one strongly
   * consistent `BatchGetItem` of global epoch shard 0 and the user's epoch item. Shard 0 is the
   * one `raiseEpoch` writes last, so it holds every raise that completed.
   */
  async readEpochs(userId: string | null): Promise<RevocationEpochs> {
    const l = this.#layout;
    const keys = [globalEpochKeyOf(l, 0)];
    const globalKey = keys[0]?.[l.partitionKey]?.S;
    if (userId !== null) keys.push(userEpochKeyOf(l, userId));
    const epochs: RevocationEpochs = { global: 0, user: 0 };
    for (const item of await this.#batchGet(keys)) {
      if (item[l.partitionKey]?.S === globalKey) epochs.global = epochOf(l, item);
      else epochs.user = epochOf(l, item);
    }
    return epochs;
  }

  /**
   * Raises the global epoch (`userId` null) or `userId`'s to `at` unless it is already there or
   * later: an `UpdateItem` conditioned on the stored value being lower, so concurrent raises keep
   * the highest. The global epoch is written to each of its shards (no expiry): shards 1 to 7 in
   * parallel, then shard 0, which `readEpochs` reads. A user's epoch is one item whose TTL is 400
   * days after `at`.
   */
  async raiseEpoch(userId: string | null, at: number): Promise<void> {
    if (!Number.isSafeInteger(at) || at < 0) {
      throw new InvalidArgumentError("raiseEpoch: `at` must be epoch milliseconds (an integer)");
    }
    const l = this.#layout;
    const raise = (key: Item, ttl: number | null) =>
      this.#call("UpdateItem (raiseEpoch)", () =>
        conditional(
          this.#send(
            new UpdateItemCommand({
              TableName: l.tableName,
              Key: key,
              UpdateExpression: ttl === null ? "SET #epoch = :at" : "SET #epoch = :at, #ttl = :ttl",
              ConditionExpression: "attribute_not_exists(#epoch) OR #epoch < :at",
              ExpressionAttributeNames: {
                "#epoch": EPOCH_ATTRIBUTE,
                ...(ttl === null ? {} : { "#ttl": l.ttlAttribute }),
              },
              ExpressionAttributeValues: {
                ":at": { N: String(at) },
                ...(ttl === null ? {} : { ":ttl": { N: String(ttl) } }),
              },
            }),
          ),
        ),
      );
    if (userId !== null) {
      await raise(userEpochKeyOf(l, userId), Math.ceil((at + USER_EPOCH_TTL_MS) / 1000));
      return;
    }
    // Every shard but 0 at once, then shard 0: a raise readEpochs sees is on every shard.
    await Promise.all(
      Array.from({ length: GLOBAL_EPOCH_SHARDS - 1 }, (_, shard) =>
        raise(globalEpochKeyOf(l, shard + 1), null),
      ),
    );
    await raise(globalEpochKeyOf(l, 0), null);
  }
}
