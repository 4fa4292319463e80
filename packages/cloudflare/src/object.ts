/**
 * `SessionDurableObject`: the Durable Object class behind `DurableObjectStore`. The application
 * exports it from its Worker and binds it (see the README); the store addresses its instances
 * by name, and each instance plays one of two roles:
 *
 * - a **session object** (`s:<session id>`) holds one record under the key `record`, with an
 *   alarm at the record's end (`endOf`: its `expiresAt`) that deletes it (native expiry);
 * - a **user index** (`u:<user id>`) holds one key per session of the user (`s:<session id>`,
 *   valued with that session's expiry), with an alarm at the latest expiry;
 * - an **epoch** (`e:<shard>` for the global epoch's shards, `ue:<user id>` for a user's) holds
 *   one number under the key `epoch`: sessions created before it are revoked. A user's epoch has
 *   an alarm that deletes it a fixed time after its last raise; the global one never expires.
 *
 * A Durable Object runs one event at a time and its input gate holds back other events while a
 * storage call is in flight, so a read followed by a write inside one method is atomic: that is
 * the compare-and-swap, with no transaction API needed.
 */

import { DurableObject } from "cloudflare:workers";
import { endOf, isLive, type SessionRecord } from "@tessera/core/store";

const RECORD = "record";
const ENTRY = "s:";
const EPOCH = "epoch";

/** Outcome of `createSession`: `conflict` when a live record already holds the id. */
export type CreateOutcome = "created" | "conflict";

/** The Durable Object class to export from your Worker and bind for `DurableObjectStore`. */
export class SessionDurableObject extends DurableObject {
  // ---- session role --------------------------------------------------------------------

  /** The live record, or null when none is stored or it has expired (awaiting its alarm). */
  async readSession(): Promise<SessionRecord | null> {
    const record = await this.ctx.storage.get<SessionRecord>(RECORD);
    if (!record || !isLive(record, Date.now())) return null;
    // A record stored before a field existed lacks it: no device binding, the default policy,
    // not an impersonation.
    if (
      record.dbsc === undefined ||
      record.policy === undefined ||
      record.impersonatedBy === undefined
    ) {
      return {
        ...record,
        dbsc: record.dbsc ?? null,
        policy: record.policy ?? "default",
        impersonatedBy: record.impersonatedBy ?? null,
      };
    }
    return record;
  }

  /** Stores `record` unless a live record holds the id; arms the expiry alarm. */
  async createSession(record: SessionRecord): Promise<CreateOutcome> {
    if (await this.readSession()) return "conflict";
    await this.ctx.storage.put(RECORD, record);
    await this.ctx.storage.setAlarm(endOf(record));
    return "created";
  }

  /**
   * Compare-and-swap: replaces the live record of the same user whose version is
   * `expectedVersion`, and moves the alarm. False when the version moved on or the record is
   * gone (it never creates one).
   */
  async swapSession(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    const stored = await this.readSession();
    if (!stored || stored.version !== expectedVersion || stored.userId !== record.userId) {
      return false;
    }
    await this.ctx.storage.put(RECORD, record);
    await this.ctx.storage.setAlarm(endOf(record));
    return true;
  }

  /**
   * Deletes the record; resolves the user id it belonged to, or null if there was none or it
   * was a guest's (in no user index).
   */
  async deleteSession(): Promise<string | null> {
    const stored = await this.ctx.storage.get<SessionRecord>(RECORD);
    await this.#clear();
    return stored ? stored.userId : null;
  }

  /**
   * Deletes the record only if it belongs to `userId`: a stale index entry (left by a refused
   * create that collided with another user's id) can never delete someone else's session.
   */
  async deleteSessionOf(userId: string): Promise<boolean> {
    const stored = await this.readSession();
    if (!stored || stored.userId !== userId) return false;
    await this.#clear();
    return true;
  }

  // ---- user index role -----------------------------------------------------------------

  /**
   * Records session `id` with expiry `expiresAt`, raising (never lowering) its entry, after
   * dropping entries of expired sessions; keeps the alarm at the latest expiry.
   */
  async indexAdd(id: string, expiresAt: number): Promise<void> {
    const entries = await this.#liveEntries();
    const key = ENTRY + id;
    const current = entries.get(key);
    if (current === undefined || expiresAt > current) {
      await this.ctx.storage.put(key, expiresAt);
      entries.set(key, expiresAt);
    }
    await this.#armIndex(entries);
  }

  /** Ids of the user's sessions whose entries have not expired. */
  async indexRead(): Promise<string[]> {
    const entries = await this.#liveEntries();
    await this.#armIndex(entries);
    return [...entries.keys()].map((key) => key.slice(ENTRY.length));
  }

  /** Drops the entries of `ids` (sessions already deleted). */
  async indexRemove(ids: string[]): Promise<void> {
    await this.#deleteKeys(ids.map((id) => ENTRY + id));
    await this.#armIndex(await this.#liveEntries());
  }

  // ---- epoch role ----------------------------------------------------------------------

  /** The epoch this object holds (epoch ms), 0 when never raised. */
  async readEpoch(): Promise<number> {
    return (await this.ctx.storage.get<number>(EPOCH)) ?? 0;
  }

  /**
   * Raises the epoch to `at` unless it is already there or later (one object runs one call at a
   * time, so concurrent raises keep the highest). With `keepFor`, arms an alarm that deletes the
   * epoch `keepFor` ms after this raise; without, the epoch never expires.
   */
  async raiseEpoch(at: number, keepFor: number | null): Promise<void> {
    const current = (await this.ctx.storage.get<number>(EPOCH)) ?? 0;
    if (at <= current) return;
    await this.ctx.storage.put(EPOCH, at);
    if (keepFor !== null) await this.ctx.storage.setAlarm(at + keepFor);
  }

  // ---- every role ----------------------------------------------------------------------

  /**
   * The alarm: deletes an expired record, or deletes a user's epoch at the end of its keeping
   * time, or prunes an index, re-arming if anything lives.
   */
  override async alarm(): Promise<void> {
    if ((await this.ctx.storage.get<number>(EPOCH)) !== undefined) {
      // Only a user's epoch arms an alarm, at the end of its keeping time (moved by each raise).
      await this.#clear();
      return;
    }
    const record = await this.ctx.storage.get<SessionRecord>(RECORD);
    if (record) {
      if (!isLive(record, Date.now())) await this.#clear();
      else await this.ctx.storage.setAlarm(endOf(record));
      return;
    }
    await this.#armIndex(await this.#liveEntries());
  }

  /** Index entries after deleting those whose session has expired. */
  async #liveEntries(): Promise<Map<string, number>> {
    const entries = await this.ctx.storage.list<number>({ prefix: ENTRY });
    // Dead at its expiry, as readSession() has it. Pruning an entry that expires this very
    // millisecond also keeps the alarm from being re-armed at a time already reached.
    const now = Date.now();
    const expired = [...entries].filter(([, expiresAt]) => expiresAt <= now).map(([key]) => key);
    await this.#deleteKeys(expired);
    for (const key of expired) entries.delete(key);
    return entries;
  }

  /** Deletes keys in batches: one storage delete() takes at most 128 keys. */
  async #deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 128) {
      await this.ctx.storage.delete(keys.slice(i, i + 128));
    }
  }

  /** Alarm at the latest entry's expiry; an empty index deletes itself. */
  async #armIndex(entries: Map<string, number>): Promise<void> {
    if (entries.size === 0) return this.#clear();
    const latest = Math.max(...entries.values());
    if ((await this.ctx.storage.getAlarm()) !== latest) await this.ctx.storage.setAlarm(latest);
  }

  /** Removes everything this object stores, alarm included: an empty object costs nothing. */
  async #clear(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
