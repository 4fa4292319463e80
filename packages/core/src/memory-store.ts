/**
 * An in-process store: correct (compare-and-swap, per-user index, expiry) but not shared
 * between processes and not persistent. For tests and single-process development.
 */
import type { RevocationEpochs, SessionRecord, SessionStore } from "./store/record.js";

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * Clock used for expiry, in milliseconds.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/**
 * A `SessionStore` kept in memory. Records are copied in and out, never shared.
 *
 * @example
 * ```ts
 * const sessions = createSessions({ store: new MemoryStore() });
 * // in tests, with a clock of your own:
 * const store = new MemoryStore({ now: () => clock });
 * ```
 */
export class MemoryStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #now: () => number;
  #globalEpoch = 0;
  readonly #userEpochs = new Map<string, number>();

  /** Creates an empty store. */
  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Number of records held, expired ones included until touched (for tests and metrics). */
  get size(): number {
    return this.#records.size;
  }

  #live(id: string): SessionRecord | undefined {
    const record = this.#records.get(id);
    if (record && record.expiresAt <= this.#now()) {
      this.#remove(record);
      return undefined;
    }
    return record;
  }

  #remove(record: SessionRecord): void {
    this.#records.delete(record.id);
    if (record.userId === null) return;
    const ids = this.#byUser.get(record.userId);
    ids?.delete(record.id);
    if (ids?.size === 0) this.#byUser.delete(record.userId);
  }

  /** Inserts a record; rejects if its id is taken. */
  async create(record: SessionRecord): Promise<void> {
    if (this.#live(record.id)) throw new Error(`session ${record.id} already exists`);
    this.#records.set(record.id, structuredClone(record));
    // A guest (`userId: null`) is in no user index.
    if (record.userId === null) return;
    const ids = this.#byUser.get(record.userId) ?? new Set<string>();
    ids.add(record.id);
    this.#byUser.set(record.userId, ids);
  }

  /** Reads a live record. */
  async get(id: string): Promise<SessionRecord | null> {
    const record = this.#live(id);
    return record ? structuredClone(record) : null;
  }

  /** Compare-and-swap on `version`. */
  async update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    const stored = this.#live(record.id);
    if (!stored || stored.version !== expectedVersion || stored.userId !== record.userId)
      return false;
    this.#records.set(record.id, structuredClone(record));
    return true;
  }

  /** Removes a record if present. */
  async delete(id: string): Promise<void> {
    const record = this.#records.get(id);
    if (record) this.#remove(record);
  }

  /** Live records of one user. */
  async listByUser(userId: string): Promise<SessionRecord[]> {
    const ids = [...(this.#byUser.get(userId) ?? [])];
    const records: SessionRecord[] = [];
    for (const id of ids) {
      const record = this.#live(id);
      if (record) records.push(structuredClone(record));
    }
    return records;
  }

  /** Removes a user's records except `exceptId`. */
  async deleteByUser(userId: string, exceptId?: string): Promise<number> {
    let removed = 0;
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      if (id === exceptId) continue;
      const record = this.#live(id);
      if (record) {
        this.#remove(record);
        removed++;
      }
    }
    return removed;
  }

  /** Reads a live record and the epochs that apply to it (one call, as a shared store must). */
  async getWithEpochs(
    id: string,
  ): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    const record = this.#live(id);
    if (!record) return null;
    return { record: structuredClone(record), epochs: this.#epochsOf(record.userId) };
  }

  /** The global epoch and `userId`'s (0 for a guest or a user never revoked). */
  async readEpochs(userId: string | null): Promise<RevocationEpochs> {
    return this.#epochsOf(userId);
  }

  /** Raises the global epoch (`userId` `null`) or one user's to `at`; never lowers it. */
  async raiseEpoch(userId: string | null, at: number): Promise<void> {
    if (userId === null) this.#globalEpoch = Math.max(this.#globalEpoch, at);
    else this.#userEpochs.set(userId, Math.max(this.#userEpochs.get(userId) ?? 0, at));
  }

  #epochsOf(userId: string | null): RevocationEpochs {
    return {
      global: this.#globalEpoch,
      user: userId === null ? 0 : (this.#userEpochs.get(userId) ?? 0),
    };
  }
}
