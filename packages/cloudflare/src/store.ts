/**
 * `DurableObjectStore`: Tessera sessions in Cloudflare Durable Objects, for Workers.
 *
 * One Durable Object per session (`s:<id>`) holds the record, so the validate hot path is one
 * RPC to one object and every compare-and-swap is decided inside that object, strongly
 * consistent. One Durable Object per user (`u:<userId>`) indexes the user's session ids for
 * `listByUser` and `deleteByUser`, O(sessions of that user). The index entry is written before
 * the session, so the index is always a superset of the user's live sessions (see the README).
 */
import { InvalidArgumentError, SessionConflictError, TesseraConfigError } from "@tessera/core";
import {
  createStoreCall,
  endOf,
  type RevocationEpochs,
  type SessionRecord,
  type SessionStore,
  type StoreCall,
} from "@tessera/core/store";
import type { SessionDurableObject } from "./object.js";

/**
 * What the store uses of a Durable Object binding: any `DurableObjectNamespace` of
 * `SessionDurableObject` or of a subclass of it is one.
 */
export interface SessionObjectNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub<SessionDurableObject>;
}

/** Options of `DurableObjectStore`. */
export interface DurableObjectStoreOptions {
  /**
   * The binding of the `SessionDurableObject` class or of a subclass (e.g. `env.SESSIONS`), or
   * a jurisdiction of it (`env.SESSIONS.jurisdiction("eu")`) to keep sessions inside it.
   */
  namespace: SessionObjectNamespace;
  /**
   * Prepended to every object name, to keep several independent stores in one namespace.
   * @defaultValue `""`
   */
  prefix?: string;
}

type Stub = DurableObjectStub<SessionDurableObject>;

/**
 * Objects holding a copy of the global epoch. Validate reads one of them (by session id) on
 * every request, and one Durable Object serves a bounded number of requests a second, so the
 * read spreads over this many; a raise writes them all. Fixed: another count would miss raises.
 */
const GLOBAL_EPOCH_SHARDS = 8;

/**
 * How long a user's epoch is kept after its last raise. Only `readEpochs` reads it (see
 * `getWithEpochs`), to end a login that raced a revokeAll, a race of seconds; 400 days keeps it
 * far past any session.
 */
const USER_EPOCH_KEEP_MS = 400 * 24 * 60 * 60 * 1000;

/** The global epoch shard the hot read of session `id` takes: spread by the id's last character. */
function epochShardOf(id: string): number {
  return id.length === 0 ? 0 : id.charCodeAt(id.length - 1) % GLOBAL_EPOCH_SHARDS;
}

/**
 * A `SessionStore` on Cloudflare Durable Objects. Construct it once per Worker isolate with
 * the binding of `SessionDurableObject`; it keeps no state of its own.
 *
 * @example
 * ```ts
 * import { env } from "cloudflare:workers";
 * import { createSessions } from "@tessera/core";
 * import { DurableObjectStore } from "@tessera/cloudflare";
 * export { SessionDurableObject } from "@tessera/cloudflare";
 *
 * const sessions = createSessions({ store: new DurableObjectStore({ namespace: env.SESSIONS }) });
 * ```
 */
export class DurableObjectStore implements SessionStore {
  readonly #namespace: SessionObjectNamespace;
  readonly #prefix: string;
  /** Every RPC goes through here: any failure (object reset, overload, network) as a Tessera error. */
  readonly #call: StoreCall = createStoreCall("Durable Object");

  /** Checks the options; throws `TesseraConfigError` when `namespace` is not a binding. */
  constructor(options: DurableObjectStoreOptions) {
    const namespace = options?.namespace as unknown as Record<string, unknown> | undefined;
    if (
      !namespace ||
      typeof namespace.idFromName !== "function" ||
      typeof namespace.get !== "function"
    ) {
      throw new TesseraConfigError(
        "DurableObjectStore needs options.namespace: the Durable Object binding of SessionDurableObject",
      );
    }
    const prefix = options.prefix ?? "";
    if (typeof prefix !== "string") throw new TesseraConfigError("prefix must be a string");
    this.#namespace = options.namespace;
    this.#prefix = prefix;
  }

  /** The name of the Durable Object holding session `id`. */
  sessionObjectName(id: string): string {
    return `${this.#prefix}s:${id}`;
  }

  /** The name of the Durable Object indexing `userId`'s sessions. */
  indexObjectName(userId: string): string {
    return `${this.#prefix}u:${userId}`;
  }

  #object(name: string): Stub {
    return this.#namespace.get(this.#namespace.idFromName(name));
  }

  /** The name of the Durable Object holding shard `shard` of the global revocation epoch. */
  globalEpochObjectName(shard: number): string {
    return `${this.#prefix}e:${shard}`;
  }

  /** The name of the Durable Object holding `userId`'s revocation epoch. */
  userEpochObjectName(userId: string): string {
    return `${this.#prefix}ue:${userId}`;
  }

  /**
   * Adds (or raises) the index entry; always before the session object is written. A guest
   * session (no user yet) is in no index.
   */
  async #index(record: SessionRecord): Promise<void> {
    const userId = record.userId;
    if (userId === null) return;
    await this.#call("index add", () =>
      this.#object(this.indexObjectName(userId)).indexAdd(record.id, endOf(record)),
    );
  }

  /** Inserts a session; rejects with `SessionConflictError` if a live session has the id. */
  async create(record: SessionRecord): Promise<void> {
    await this.#index(record);
    const outcome = await this.#call("create", () =>
      this.#object(this.sessionObjectName(record.id)).createSession(record),
    );
    if (outcome === "conflict") {
      throw new SessionConflictError(`a session with id ${record.id} already exists`);
    }
  }

  /** Reads a session with one RPC to its object; `null` when absent or expired. */
  async get(id: string): Promise<SessionRecord | null> {
    return (await this.#call("get", () =>
      this.#object(this.sessionObjectName(id)).readSession(),
    )) as SessionRecord | null;
  }

  /** Compare-and-swap on `version`, decided inside the session's object; moves its alarm. */
  async update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    await this.#index(record);
    return this.#call("compare-and-swap", () =>
      this.#object(this.sessionObjectName(record.id)).swapSession(record, expectedVersion),
    );
  }

  /** Deletes a session and then its index entry; resolves if it did not exist. */
  async delete(id: string): Promise<void> {
    const userId = await this.#call("delete", () =>
      this.#object(this.sessionObjectName(id)).deleteSession(),
    );
    if (userId !== null) {
      await this.#call("index remove", () =>
        this.#object(this.indexObjectName(userId)).indexRemove([id]),
      );
    }
  }

  /** Live session ids from the user's index. */
  #indexedIds(userId: string): Promise<string[]> {
    return this.#call("index read", () => this.#object(this.indexObjectName(userId)).indexRead());
  }

  /** The user's live sessions: one index read, then one read per indexed session, in parallel. */
  async listByUser(userId: string): Promise<SessionRecord[]> {
    const ids = await this.#indexedIds(userId);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    // An entry left by a refused create may name another user's session: never list it.
    return records.filter((record): record is SessionRecord => record?.userId === userId);
  }

  /**
   * Deletes the user's sessions except `exceptId`, each only if it still belongs to the user,
   * then their index entries. Resolves to the number deleted.
   */
  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    const ids = (await this.#indexedIds(userId)).filter((id) => id !== exceptId);
    if (ids.length === 0) return 0;
    const results = await this.#call("delete", () =>
      Promise.all(
        ids.map((id) => this.#object(this.sessionObjectName(id)).deleteSessionOf(userId)),
      ),
    );
    const deleted = ids.filter((_, i) => results[i]);
    if (deleted.length > 0) {
      await this.#call("index remove", () =>
        this.#object(this.indexObjectName(userId)).indexRemove(deleted),
      );
    }
    return deleted.length;
  }

  /**
   * Reads a session and the global epoch in one round trip: the session's object and the
   * global epoch shard its id maps to are called at once (no object holds both: each session
   * has its own object, and a copy of the global epoch in every one of them would make a raise a
   * scan). The user's epoch cannot join them, since its object is named by the user id the
   * record holds: `user` is always 0 here. The guarantee holds without it: revokeAll deletes the
   * user's sessions through the user index after raising the epoch, and a login racing it
   * re-reads the epochs with `readEpochs`. `null` when absent or expired, as `get`.
   */
  async getWithEpochs(
    id: string,
  ): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    const [record, global] = await this.#call("get with epochs", () =>
      Promise.all([
        this.#object(this.sessionObjectName(id)).readSession(),
        this.#object(this.globalEpochObjectName(epochShardOf(id))).readEpoch(),
      ]),
    );
    if (!record) return null;
    return { record: record as SessionRecord, epochs: { global, user: 0 } };
  }

  /**
   * The global epoch (its shard 0, which a raise writes last) and `userId`'s (0 for `null` or a
   * user never revoked), read from both objects at once.
   */
  async readEpochs(userId: string | null): Promise<RevocationEpochs> {
    const [global, user] = await this.#call("read epochs", () =>
      Promise.all([
        this.#object(this.globalEpochObjectName(0)).readEpoch(),
        userId === null ? 0 : this.#object(this.userEpochObjectName(userId)).readEpoch(),
      ]),
    );
    return { global, user };
  }

  /**
   * Raises the global epoch (`userId` null) or `userId`'s to `at` unless it is already there or
   * later; each epoch object decides alone, one call at a time, so concurrent raises keep the
   * highest. The global epoch goes to shards 1 to 7 at once, then to shard 0 (which `readEpochs`
   * reads), and never expires; a user's epoch is deleted 400 days after its last raise.
   */
  async raiseEpoch(userId: string | null, at: number): Promise<void> {
    if (!Number.isSafeInteger(at) || at < 0) {
      throw new InvalidArgumentError("raiseEpoch: `at` must be epoch milliseconds (an integer)");
    }
    if (userId !== null) {
      await this.#call("raise epoch", () =>
        this.#object(this.userEpochObjectName(userId)).raiseEpoch(at, USER_EPOCH_KEEP_MS),
      );
      return;
    }
    await this.#call("raise epoch", () =>
      Promise.all(
        Array.from({ length: GLOBAL_EPOCH_SHARDS - 1 }, (_, shard) =>
          this.#object(this.globalEpochObjectName(shard + 1)).raiseEpoch(at, null),
        ),
      ),
    );
    await this.#call("raise epoch", () =>
      this.#object(this.globalEpochObjectName(0)).raiseEpoch(at, null),
    );
  }
}
