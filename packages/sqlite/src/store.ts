/**
 * `SQLiteStore`: Tessera sessions in one SQLite table, through any drizzle SQLite driver,
 * synchronous (better-sqlite3, bun:sqlite) or asynchronous (libSQL/Turso, Cloudflare D1). Every
 * operation is a single statement, so the store needs no transactions of its own.
 */
import { InvalidArgumentError, SessionConflictError, TesseraConfigError } from "@tessera/core";
import {
  isLive,
  type RevocationEpochs,
  type SessionRecord,
  type SessionStore,
} from "@tessera/core/store";
import { and, eq, gt, inArray, is, lte, ne, or, type SQL, sql } from "drizzle-orm";
import {
  BaseSQLiteDatabase,
  SQLiteTable,
  type SQLiteUpdateSetSource,
} from "drizzle-orm/sqlite-core";
import {
  MUTABLE_COLUMNS,
  type MutableColumn,
  mutableValues,
  RECORD_COLUMNS,
  type SelectedRow,
  toRecord,
} from "./codec.js";
import { epochsOf } from "./ddl.js";
import { sqliteCall } from "./failure.js";
import {
  type AnySQLiteDatabase,
  type EpochsTable,
  type SessionsTable,
  tesseraSessions,
} from "./schema.js";
import { checkTable } from "./table-check.js";

/** Options of `SQLiteStore`. */
export interface SQLiteStoreOptions {
  /**
   * The drizzle database, e.g. `drizzle({ client: new Database("sessions.db") })` from
   * `drizzle-orm/better-sqlite3`, or `drizzle(env.DB)` from `drizzle-orm/d1`.
   */
  db: AnySQLiteDatabase;
  /**
   * The sessions table, from `sessionsTable(...)` in `@tessera/sqlite/setup` or your own with
   * the same columns. Default: `tesseraSessions` (the table named `sessions`).
   */
  table?: SessionsTable;
  /**
   * Clock for expiry, in milliseconds. Use the same clock as `createSessions`.
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** Options of `purgeExpired`. */
export interface PurgeExpiredOptions {
  /**
   * Rows deleted per statement; each batch is its own short write, so a large backlog never
   * holds SQLite's single write lock for long and other writers go in between.
   * @defaultValue `1000`
   */
  batchSize?: number;
}

/**
 * The reads' values packed into one text column: a JSON array built by SQLite (`json_array`), in
 * the order they are listed (`RECORD_COLUMNS`, then any extra values). The driver then makes one
 * string instead of two dozen values, and drizzle maps one field instead of each column through
 * its decoder; one `JSON.parse` takes it apart. Integers stay numbers, NULL `null`, and SQLite
 * escapes every string for JSON. The JSON columns go in as their text, parsed by the codec, so a
 * read never depends on SQLite's JSON parser accepting what `JSON.stringify` wrote.
 */
function packed(t: SessionsTable, ...extra: SQL[]): SQL<string> {
  const values = [...RECORD_COLUMNS.map((column) => sql`${t[column]}`), ...extra];
  return sql<string>`json_array(${sql.join(values, sql`, `)})`;
}

/** The packed row of a read (see `packed`) as the array the codec maps. */
function unpack(row: { packed: string }): SelectedRow {
  return JSON.parse(row.packed) as SelectedRow;
}

/** Where the epochs follow the record's columns in the packed row of `getWithEpochs`. */
const EPOCHS_AT = RECORD_COLUMNS.length;

/** Placeholders for every mutable column, named after the column's property. */
function mutablePlaceholders() {
  const set = {} as Record<MutableColumn, ReturnType<typeof sql.placeholder>>;
  for (const column of MUTABLE_COLUMNS) set[column] = sql.placeholder(column);
  return set;
}

/** An epoch read in a scalar subquery: `revoked_before` of one scope, 0 when unset. */
function epochOf(e: EpochsTable, scope: unknown): SQL {
  return sql<number>`coalesce((select ${e.revokedBefore} from ${e} where ${e.scope} = ${scope}), 0)`;
}

function build(db: AnySQLiteDatabase, t: SessionsTable, e: EpochsTable) {
  const ph = sql.placeholder;
  const record = { packed: packed(t) };
  // Live in SQL: `expiresAt` is never later than `absoluteExpiresAt`, so this is the kit's
  // `isLive` on the one indexed column.
  const live = gt(t.expiresAt, ph("now"));
  const ends = { expiresAt: t.expiresAt, absoluteExpiresAt: t.absoluteExpiresAt };
  const values = mutablePlaceholders();
  // drizzle binds a placeholder in `set` to its column's encoder at run time (the JSON columns),
  // exactly as in `values`; only its types leave placeholders out of `set`.
  const assign = values as unknown as SQLiteUpdateSetSource<SessionsTable>;
  // On conflict, the incoming row's own values: no second copy of every parameter.
  const replace: SQLiteUpdateSetSource<SessionsTable> = {};
  for (const column of ["userId", ...MUTABLE_COLUMNS] as const) {
    replace[column] = sql`excluded.${sql.identifier(t[column].name)}`;
  }
  return {
    get: db
      .select(record)
      .from(t)
      .where(and(eq(t.id, ph("id")), live))
      .prepare(),
    // One statement: the session, the global epoch ('') and its user's (none for a guest:
    // `scope = NULL` matches no row).
    getWithEpochs: db
      .select({ packed: packed(t, epochOf(e, sql`''`), epochOf(e, t.userId)) })
      .from(t)
      .where(and(eq(t.id, ph("id")), live))
      .prepare(),
    readEpochs: db
      .select({ scope: e.scope, revokedBefore: e.revokedBefore })
      .from(e)
      .where(or(eq(e.scope, ""), eq(e.scope, ph("scope"))))
      .prepare(),
    // Max semantics in the upsert itself (SQLite's two-argument max): SQLite runs one writer at
    // a time, so concurrent raises keep the highest.
    raiseEpoch: db
      .insert(e)
      .values({ scope: ph("scope"), revokedBefore: ph("at") })
      .onConflictDoUpdate({
        target: e.scope,
        set: {
          revokedBefore: sql`max(${e.revokedBefore}, excluded.${sql.identifier(e.revokedBefore.name)})`,
        },
      })
      .prepare(),
    // A live id is never overwritten; an expired row with the same id is replaced in place.
    create: db
      .insert(t)
      .values({ id: ph("id"), userId: ph("userId"), ...values })
      .onConflictDoUpdate({ target: t.id, set: replace, setWhere: lte(t.expiresAt, ph("now")) })
      .returning({ id: t.id })
      .prepare(),
    update: db
      .update(t)
      .set(assign)
      .where(
        and(
          eq(t.id, ph("id")),
          eq(t.version, ph("expectedVersion")),
          // The user never changes; `is` is SQLite's null-safe equality, for guest sessions.
          sql`${t.userId} is ${ph("userId")}`,
          live,
        ),
      )
      .returning({ id: t.id })
      .prepare(),
    delete: db
      .delete(t)
      .where(eq(t.id, ph("id")))
      .prepare(),
    listByUser: db
      .select(record)
      .from(t)
      .where(and(eq(t.userId, ph("userId")), live))
      .prepare(),
    // Expired rows of the user go too (they are garbage anyway) but only live ones are counted.
    deleteByUser: db
      .delete(t)
      .where(eq(t.userId, ph("userId")))
      .returning(ends)
      .prepare(),
    deleteByUserExcept: db
      .delete(t)
      .where(and(eq(t.userId, ph("userId")), ne(t.id, ph("exceptId"))))
      .returning(ends)
      .prepare(),
    purgeExpired: db
      .delete(t)
      .where(
        inArray(
          t.id,
          db
            .select({ id: t.id })
            .from(t)
            .where(lte(t.expiresAt, ph("now")))
            .limit(ph("batchSize")),
        ),
      )
      .returning({ id: t.id })
      .prepare(),
  };
}

/**
 * A Tessera `SessionStore` on SQLite through drizzle-orm: better-sqlite3, libSQL/Turso,
 * Cloudflare D1, bun:sqlite, and the other drizzle SQLite drivers.
 *
 * - `get` is one primary-key `SELECT` (the validate hot path).
 * - `update` is one `UPDATE ... WHERE id = ? AND version = ?`: an atomic compare-and-swap.
 * - `listByUser` and `deleteByUser` use the `user_id` index: O(sessions of that user).
 * - Rows past `expires_at` (by the store's clock) are never returned nor updated; remove them
 *   with `purgeExpired()` from a scheduled job.
 * - Before its first statement the store checks the table once (it exists, has every column,
 *   each with the right type) and rejects with `TesseraConfigError` naming the fix otherwise.
 *
 * Every driver failure (a lock held past `busy_timeout`, a closed database) rejects with
 * `StoreUnavailableError` naming the driver's error code, the driver's error as `cause` (without
 * drizzle's wrapper, whose message lists the statement's parameters). Provisioning (`migrate`,
 * the SQL, the table definitions) is in `@tessera/sqlite/setup`.
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * import { drizzle } from "drizzle-orm/better-sqlite3";
 * import { migrate } from "@tessera/sqlite/setup";
 *
 * const client = new Database("sessions.db");
 * client.pragma("journal_mode = WAL");
 * client.pragma("busy_timeout = 5000");
 * const db = drizzle({ client });
 * await migrate(db);
 * const sessions = createSessions({ store: new SQLiteStore({ db }) });
 * // from a scheduled job:
 * await new SQLiteStore({ db }).purgeExpired({ batchSize: 1000 });
 * ```
 * @throws TesseraConfigError from the constructor when `db` is not a drizzle SQLite database or
 * `table` is not a drizzle SQLite table.
 */
export class SQLiteStore implements SessionStore {
  /** The drizzle table this store reads and writes. */
  readonly table: SessionsTable;
  /** The revocation epochs table: `<table>_epochs` (see `epochsTable`). */
  readonly epochsTable: EpochsTable;
  readonly #db: AnySQLiteDatabase;
  readonly #now: () => number;
  /** The prepared statements, made once the table check passed (better-sqlite3 and bun:sqlite
   * compile a statement when it is prepared, which fails on a missing table). */
  #q: ReturnType<typeof build> | undefined;

  /** Builds the store; throws `TesseraConfigError` if `db` is not a drizzle SQLite database. */
  constructor(options: SQLiteStoreOptions) {
    if (!options || !is(options.db, BaseSQLiteDatabase)) {
      throw new TesseraConfigError(
        "SQLiteStore needs { db }: a drizzle SQLite database, e.g. drizzle({ client }) from drizzle-orm/better-sqlite3, drizzle-orm/libsql or drizzle-orm/d1",
      );
    }
    if (options.table !== undefined && !is(options.table, SQLiteTable)) {
      throw new TesseraConfigError("SQLiteStore: table must be a drizzle SQLite table");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TesseraConfigError("SQLiteStore: now must be a function returning milliseconds");
    }
    this.#db = options.db;
    this.table = options.table ?? tesseraSessions;
    this.#now = options.now ?? Date.now;
    this.epochsTable = epochsOf(this.table);
  }

  /**
   * Runs `run` after the one-time table check. Until a check passes, each call checks again, so
   * a table created after a failed start is picked up without a restart.
   */
  #call<T>(operation: string, run: (q: ReturnType<typeof build>) => Promise<T>): Promise<T> {
    return sqliteCall(operation, async () => {
      if (this.#q === undefined) {
        await checkTable(this.#db, this.table);
        this.#q ??= build(this.#db, this.table, this.epochsTable);
      }
      return await run(this.#q);
    });
  }

  /**
   * Inserts a record; rejects with `SessionConflictError` if a live record has the same id (an
   * expired row with that id is replaced).
   */
  create(record: SessionRecord): Promise<void> {
    return this.#call("create", async (q) => {
      const rows = await q.create.all({
        id: record.id,
        userId: record.userId,
        ...mutableValues(record),
        now: this.#now(),
      });
      if (rows.length === 0) throw new SessionConflictError(`session ${record.id} already exists`);
    });
  }

  /** Reads a live record by id: one primary-key `SELECT`. */
  get(id: string): Promise<SessionRecord | null> {
    return this.#call("get", async (q) => {
      const row = await q.get.get({ id, now: this.#now() });
      return row ? toRecord(unpack(row)) : null;
    });
  }

  /**
   * Reads a live record and the revocation epochs that apply to it in one statement: the
   * primary-key `SELECT` with two scalar subqueries on the epochs table (global, and the
   * record's user; 0 for a guest or a user never revoked).
   */
  getWithEpochs(id: string): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    return this.#call("getWithEpochs", async (q) => {
      const packedRow = await q.getWithEpochs.get({ id, now: this.#now() });
      if (!packedRow) return null;
      const row = unpack(packedRow);
      return {
        record: toRecord(row),
        epochs: { global: Number(row[EPOCHS_AT]), user: Number(row[EPOCHS_AT + 1]) },
      };
    });
  }

  /** The global epoch and `userId`'s (0 for `null` or a user never revoked): one statement. */
  readEpochs(userId: string | null): Promise<RevocationEpochs> {
    return this.#call("readEpochs", async (q) => {
      const rows = await q.readEpochs.all({ scope: userId });
      const epochs = { global: 0, user: 0 };
      for (const row of rows) {
        if (row.scope === "") epochs.global = Number(row.revokedBefore);
        else epochs.user = Number(row.revokedBefore);
      }
      return epochs;
    });
  }

  /**
   * Raises the global epoch (`userId` null) or one user's to `at` (epoch ms) unless it is higher
   * already: one upsert keeping the greater value. Epoch rows never expire.
   *
   * @throws InvalidArgumentError for an empty user id or an `at` that is not whole milliseconds.
   */
  raiseEpoch(userId: string | null, at: number): Promise<void> {
    if (userId === "" || !Number.isSafeInteger(at) || at < 0) {
      return Promise.reject(
        new InvalidArgumentError("raiseEpoch needs a non-empty user id (or null) and epoch ms"),
      );
    }
    return this.#call("raiseEpoch", async (q) => {
      await q.raiseEpoch.run({ scope: userId ?? "", at });
    });
  }

  /** Compare-and-swap: writes only if the stored version is `expectedVersion` and the row is live. */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    return this.#call("update", async (q) => {
      const rows = await q.update.all({
        id: record.id,
        userId: record.userId,
        expectedVersion,
        ...mutableValues(record),
        now: this.#now(),
      });
      return rows.length > 0;
    });
  }

  /** Removes a record; resolves whether or not it existed. */
  delete(id: string): Promise<void> {
    return this.#call("delete", async (q) => {
      await q.delete.run({ id });
    });
  }

  /** The user's live records, through the `user_id` index. */
  listByUser(userId: string): Promise<SessionRecord[]> {
    return this.#call("listByUser", async (q) => {
      const rows = await q.listByUser.all({ userId, now: this.#now() });
      return rows.map((row) => toRecord(unpack(row)));
    });
  }

  /** Removes the user's records except `exceptId`; resolves to the number of live ones removed. */
  deleteByUser(userId: string, exceptId?: string): Promise<number> {
    return this.#call("deleteByUser", async (q) => {
      // `null` too (a caller's JSON round trip): `id <> NULL` would match no row and delete nothing.
      const rows =
        exceptId === undefined || exceptId === null
          ? await q.deleteByUser.all({ userId })
          : await q.deleteByUserExcept.all({ userId, exceptId });
      const now = this.#now();
      return rows.filter((row) => isLive(row, now)).length;
    });
  }

  /**
   * Deletes every expired row, in batches of at most `batchSize` rows per statement, and
   * resolves to how many went. Expired rows are never returned anyway; this only reclaims space.
   * Run it from a scheduled job (see the README).
   *
   * @throws `InvalidArgumentError` when `batchSize` is not a positive integer.
   */
  async purgeExpired(options: PurgeExpiredOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError("purgeExpired: batchSize must be a positive integer");
    }
    const now = this.#now();
    return this.#call("purgeExpired", async (q) => {
      let deleted = 0;
      for (;;) {
        const rows = await q.purgeExpired.all({ now, batchSize });
        deleted += rows.length;
        if (rows.length < batchSize) return deleted;
      }
    });
  }
}
