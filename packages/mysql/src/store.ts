/**
 * `MySQLStore`: Tessera sessions in one MySQL or MariaDB table, through drizzle's mysql-core
 * (`drizzle-orm/mysql2`). Every operation is a single statement (create adds a second only to
 * take over the id of an expired row), so the store needs no transactions and no locks of its
 * own, and it uses nothing that exists on one server only: no `RETURNING` (MySQL has none), no
 * `ON DUPLICATE KEY` counting (its affected rows depend on the client's found-rows flag).
 */
import { InvalidArgumentError, SessionConflictError, TesseraConfigError } from "@tessera/core";
import type { RevocationEpochs, SessionRecord, SessionStore } from "@tessera/core/store";
import { and, eq, gt, is, lte, ne, or, type SQL, sql } from "drizzle-orm";
import {
  getTableConfig,
  MySqlDatabase,
  MySqlTable,
  type MySqlUpdateSetSource,
} from "drizzle-orm/mysql-core";
import { checkTable, KIND } from "./check.js";
import {
  MUTABLE_COLUMNS,
  type MutableColumn,
  mutableValues,
  RECORD_COLUMNS,
  type RecordColumn,
  type SelectedRow,
  toDatetime,
  toRecord,
} from "./codec.js";
import { errnoOf, mysqlCall } from "./failure.js";
import {
  type AnyMySqlDatabase,
  type EpochsTable,
  epochsTableOf,
  MAX_ID_BYTES,
  MAX_POLICY_BYTES,
  MAX_USER_ID_BYTES,
  type SessionsTable,
  tesseraSessions,
} from "./schema.js";

/** Options of `MySQLStore`. */
export interface MySQLStoreOptions {
  /** The drizzle database, e.g. `drizzle({ client: pool })` from `drizzle-orm/mysql2`. */
  db: AnyMySqlDatabase;
  /**
   * The sessions table, from `sessionsTable(...)` in `@tessera/mysql/setup` or your own with the
   * same columns. Default: `tesseraSessions` (the table named `sessions` in the connection's
   * database).
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
   * Rows deleted per statement; each batch is its own short statement, so a large backlog never
   * holds many row locks at once.
   * @defaultValue `1000`
   */
  batchSize?: number;
}

/** The server's duplicate-key error (ER_DUP_ENTRY). */
const ER_DUP_ENTRY = 1062;

/**
 * A column as the reads pack it (see `packed`): a byte column as UTF-8 text (a binary string
 * would not go into JSON as text: MySQL 8 writes it as `base64:...`); the others as they are. A
 * `DATETIME(3)` goes in as its text (MariaDB writes `YYYY-MM-DD HH:MM:SS.fff`, MySQL 8 six
 * fractional digits), parsed by the codec: computing epoch milliseconds in SQL cost the server
 * more than the parse costs the client.
 */
function packedColumn(t: SessionsTable, column: RecordColumn): SQL {
  return KIND[column] === "bytes"
    ? sql`cast(${t[column]} as char character set utf8mb4)`
    : sql`${t[column]}`;
}

/**
 * The reads' values packed into one column: a JSON array built by the server, in the order they
 * are listed (`RECORD_COLUMNS`, then any extra values). mysql2 does per-column work on every
 * result (a column definition parsed per column, drizzle's `typeCast` callback on each value)
 * and drizzle maps each field: on two dozen columns a large share of a validate's client CPU.
 * One JSON column costs one `JSON.parse`. Integers stay numbers, NULL stays `null`, JSON columns nest as JSON on MySQL 8 and on MariaDB's JSON type (as text on a
 * plain LONGTEXT, which the codec parses), and the server escapes every string for JSON.
 */
function packed(t: SessionsTable, ...extra: SQL[]): SQL<unknown> {
  const values = [...RECORD_COLUMNS.map((column) => packedColumn(t, column)), ...extra];
  return sql`json_array(${sql.join(values, sql`, `)})`;
}

/**
 * The packed row of a read (see `packed`) as the array the codec maps: mysql2 parses a JSON
 * result itself (MySQL 8's JSON type, MariaDB's JSON format); a driver that does not hands over
 * the text.
 */
function unpack(row: { packed: unknown }): SelectedRow {
  const value = row.packed;
  return (typeof value === "string" ? JSON.parse(value) : value) as SelectedRow;
}

/** Where the epochs follow the record's columns in the packed row of `getWithEpochs`. */
const EPOCHS_AT = RECORD_COLUMNS.length;

/**
 * A placeholder for every mutable column, bound as the codec's value: drizzle's column encoders
 * would turn a NULL `dbsc` into the JSON text `null` and want `Date`s for times.
 */
function mutablePlaceholders() {
  const set = {} as Record<MutableColumn, SQL>;
  for (const column of MUTABLE_COLUMNS) set[column] = sql`${sql.placeholder(column)}`;
  return set;
}

/**
 * Affected rows of a write. mysql2 answers `[ResultSetHeader]`; PlanetScale's and TiDB's drivers
 * `{ rowsAffected }`. Anything else is a driver this store does not know how to read.
 */
function affectedRows(result: unknown): number {
  const header = Array.isArray(result) ? result[0] : result;
  const rows = header as { affectedRows?: unknown; rowsAffected?: unknown } | null;
  const count = rows?.affectedRows ?? rows?.rowsAffected;
  if (typeof count !== "number") {
    throw new TesseraConfigError(
      "MySQLStore: the driver's answer to a write has no affected-row count (use drizzle-orm/mysql2)",
    );
  }
  return count;
}

/** UTF-8 length of `value`, without encoding short strings (3 bytes per UTF-16 unit at most). */
function fitsBytes(value: string, max: number): boolean {
  return value.length * 3 <= max || new TextEncoder().encode(value).length <= max;
}

/** An epoch read in a scalar subquery: `revoked_before` of one scope, 0 when unset. */
function epochOf(e: EpochsTable, scope: SQL): SQL<number> {
  return sql<number>`coalesce((select ${e.revokedBefore} from ${e} where ${e.scope} = ${scope}), 0)`;
}

function build(db: AnyMySqlDatabase, t: SessionsTable, e: EpochsTable) {
  const ph = sql.placeholder;
  const record = { packed: packed(t) };
  // Live in SQL: `expiresAt` is never later than `absoluteExpiresAt`, so this is the kit's
  // `isLive` on the one indexed column.
  const live = gt(t.expiresAt, ph("now"));
  const values = mutablePlaceholders();
  const assign = values as unknown as MySqlUpdateSetSource<SessionsTable>;
  return {
    get: db
      .select(record)
      .from(t)
      .where(and(eq(t.id, ph("id")), live))
      .prepare(),
    // One statement: the session, the global epoch ('') and its user's (none for a guest:
    // `scope = NULL` matches no row).
    getWithEpochs: db
      .select({ packed: packed(t, epochOf(e, sql`''`), epochOf(e, sql`${t.userId}`)) })
      .from(t)
      .where(and(eq(t.id, ph("id")), live))
      .prepare(),
    readEpochs: db
      .select({ scope: sql<string>`cast(${e.scope} as char)`, revokedBefore: e.revokedBefore })
      .from(e)
      .where(or(eq(e.scope, sql`''`), eq(e.scope, sql`${ph("scope")}`)))
      .prepare(),
    // Max semantics in the upsert itself; InnoDB locks the row, so concurrent raises keep the
    // highest. VALUES() works on MariaDB and MySQL 8 alike (MySQL 8.0.20+ warns it is deprecated).
    raiseEpoch: db
      .insert(e)
      .values({
        scope: sql`${ph("scope")}`,
        revokedBefore: sql`${ph("at")}`,
      } as unknown as EpochsTable["$inferInsert"])
      .onDuplicateKeyUpdate({
        set: { revokedBefore: sql`greatest(${e.revokedBefore}, values(${e.revokedBefore}))` },
      })
      .prepare(),
    insert: db
      .insert(t)
      .values({
        id: sql`${ph("id")}`,
        userId: sql`${ph("userId")}`,
        ...values,
      } as unknown as SessionsTable["$inferInsert"])
      .prepare(),
    deleteIfExpired: db
      .delete(t)
      .where(and(eq(t.id, ph("id")), lte(t.expiresAt, ph("now"))))
      .prepare(),
    // `version` always changes (core writes expectedVersion + 1), so the row counts as changed
    // and affected rows is 1 with or without the client's CLIENT_FOUND_ROWS flag.
    update: db
      .update(t)
      .set(assign)
      .where(
        and(
          eq(t.id, ph("id")),
          eq(t.version, ph("expectedVersion")),
          // The user never changes; `<=>` is the null-safe equality, for guest sessions.
          sql`${t.userId} <=> ${ph("userId")}`,
          live,
        ),
      )
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
    // Only live rows are deleted, so that affected rows is the count of sessions ended; the
    // user's expired rows go with the next purgeExpired().
    deleteByUser: db
      .delete(t)
      .where(and(eq(t.userId, ph("userId")), live))
      .prepare(),
    deleteByUserExcept: db
      .delete(t)
      .where(and(eq(t.userId, ph("userId")), ne(t.id, ph("exceptId")), live))
      .prepare(),
    purge: db
      .delete(t)
      .where(lte(t.expiresAt, ph("now")))
      .orderBy(t.expiresAt)
      .limit(ph("batch") as unknown as number)
      .prepare(),
  };
}

/**
 * A Tessera `SessionStore` on MySQL 8 or MariaDB through drizzle-orm (`drizzle-orm/mysql2`).
 *
 * - `get` is one primary-key `SELECT` (the validate hot path).
 * - `update` is one `UPDATE ... WHERE id = ? AND version = ?`: an atomic compare-and-swap.
 * - `listByUser` and `deleteByUser` use the `user_id` index: O(sessions of that user).
 * - Rows past `expires_at` (by the store's clock) are never returned nor updated; remove them
 *   with `purgeExpired()` from a cron job.
 * - Before its first statement the store checks the table once (columns, types, indexes) and
 *   rejects with `TesseraConfigError` naming the migration to run if it is not right.
 *
 * Every driver failure rejects with `StoreUnavailableError` naming the driver's error code, the
 * driver's error as `cause` (without drizzle's wrapper, whose message lists the statement's
 * parameters). Provisioning (`migrate`, the SQL, the table definitions) is in
 * `@tessera/mysql/setup`.
 *
 * @example
 * ```ts
 * import { drizzle } from "drizzle-orm/mysql2";
 * import { migrate } from "@tessera/mysql/setup";
 * import mysql from "mysql2/promise";
 *
 * const pool = mysql.createPool({ uri: process.env.DATABASE_URL, connectTimeout: 2000 });
 * const db = drizzle({ client: pool });
 * await migrate(db); // or ship migrations/0000_tessera_sessions.sql and 0001_tessera_dbsc.sql
 * const store = new MySQLStore({ db });
 * const sessions = createSessions({ store });
 * // from a scheduled job:
 * await store.purgeExpired({ batchSize: 1000 });
 * ```
 * @throws TesseraConfigError from the constructor when `db` is not a drizzle MySQL database or
 * `table` not a drizzle MySQL table.
 */
export class MySQLStore implements SessionStore {
  /** The drizzle table this store reads and writes. */
  readonly table: SessionsTable;
  /** The revocation epochs table: `<table>_epochs` in the same database (see `epochsTable`). */
  readonly epochsTable: EpochsTable;
  readonly #db: AnyMySqlDatabase;
  readonly #now: () => number;
  readonly #q: ReturnType<typeof build>;
  #checked = false;
  #checking: Promise<void> | null = null;

  /** Builds the store; throws `TesseraConfigError` if `db` is not a drizzle MySQL database. */
  constructor(options: MySQLStoreOptions) {
    if (!options || !is(options.db, MySqlDatabase)) {
      throw new TesseraConfigError(
        "MySQLStore needs { db }: a drizzle MySQL database, e.g. drizzle({ client: pool }) from drizzle-orm/mysql2",
      );
    }
    if (options.table !== undefined && !is(options.table, MySqlTable)) {
      throw new TesseraConfigError("MySQLStore: table must be a drizzle mysql table");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TesseraConfigError("MySQLStore: now must be a function returning milliseconds");
    }
    this.#db = options.db;
    this.table = options.table ?? tesseraSessions;
    this.#now = options.now ?? Date.now;
    const { name, schema } = getTableConfig(this.table);
    this.epochsTable = epochsTableOf(name, schema);
    this.#q = build(this.#db, this.table, this.epochsTable);
  }

  /**
   * The table check, made once: concurrent first calls share it; a failed check (a config error
   * or an outage) is made again by the next call, so running the migration needs no restart.
   */
  #ready(): Promise<void> {
    this.#checking ??= mysqlCall("check", () => checkTable(this.#db, this.table)).then(
      () => {
        this.#checked = true;
      },
      (error: unknown) => {
        this.#checking = null;
        throw error;
      },
    );
    return this.#checking;
  }

  /** Runs `operation` through the store kit, after the table check on first use. */
  #call<T>(name: string, operation: () => Promise<T>): Promise<T> {
    if (this.#checked) return mysqlCall(name, operation);
    return this.#ready().then(() => mysqlCall(name, operation));
  }

  /**
   * Inserts a record; rejects with `SessionConflictError` if a live record has the same id (an
   * expired row with that id is replaced) and `InvalidArgumentError` for an id over 255 bytes or
   * a user id over 1024 bytes (the columns' widths).
   */
  create(record: SessionRecord): Promise<void> {
    if (
      !fitsBytes(record.id, MAX_ID_BYTES) ||
      !fitsBytes(record.userId ?? "", MAX_USER_ID_BYTES) ||
      !fitsBytes(record.impersonatedBy ?? "", MAX_USER_ID_BYTES) ||
      !fitsBytes(record.policy, MAX_POLICY_BYTES)
    ) {
      return Promise.reject(
        new InvalidArgumentError(
          `MySQLStore: a session id may take ${MAX_ID_BYTES} bytes, a user id ${MAX_USER_ID_BYTES} and a policy name ${MAX_POLICY_BYTES}`,
        ),
      );
    }
    const row = { id: record.id, userId: record.userId, ...mutableValues(record) };
    return this.#call("create", async () => {
      if (await this.#inserted(row)) return;
      // The id is taken: by an expired row, which a new session may replace, or a live one.
      await this.#q.deleteIfExpired.execute({ id: record.id, now: toDatetime(this.#now()) });
      if (await this.#inserted(row)) return;
      throw new SessionConflictError(`session ${record.id} already exists`);
    });
  }

  /** Inserts the row; `false` when its id is taken. */
  async #inserted(row: Record<string, unknown>): Promise<boolean> {
    try {
      await this.#q.insert.execute(row);
      return true;
    } catch (error) {
      if (errnoOf(error) === ER_DUP_ENTRY) return false;
      throw error;
    }
  }

  /** Reads a live record by id: one primary-key `SELECT`. */
  get(id: string): Promise<SessionRecord | null> {
    return this.#call("get", async () => {
      const [row] = await this.#q.get.execute({ id, now: toDatetime(this.#now()) });
      return row ? toRecord(unpack(row)) : null;
    });
  }

  /**
   * Reads a live record and the revocation epochs that apply to it in one statement: the
   * primary-key `SELECT` with two scalar subqueries on the epochs table (global, and the
   * record's user; 0 for a guest or a user never revoked).
   */
  getWithEpochs(id: string): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    return this.#call("getWithEpochs", async () => {
      const [packedRow] = await this.#q.getWithEpochs.execute({
        id,
        now: toDatetime(this.#now()),
      });
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
    return this.#call("readEpochs", async () => {
      const rows = await this.#q.readEpochs.execute({ scope: userId });
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
   * already: one `INSERT ... ON DUPLICATE KEY UPDATE` keeping the greater value. Epoch rows never
   * expire.
   *
   * @throws InvalidArgumentError for an empty or too long user id, or an `at` that is not whole
   * milliseconds.
   */
  raiseEpoch(userId: string | null, at: number): Promise<void> {
    if (
      userId === "" ||
      (userId !== null && !fitsBytes(userId, MAX_USER_ID_BYTES)) ||
      !Number.isSafeInteger(at) ||
      at < 0
    ) {
      return Promise.reject(
        new InvalidArgumentError("raiseEpoch needs a non-empty user id (or null) and epoch ms"),
      );
    }
    return this.#call("raiseEpoch", async () => {
      await this.#q.raiseEpoch.execute({ scope: userId ?? "", at });
    });
  }

  /** Compare-and-swap: writes only if the stored version is `expectedVersion` and the row is live. */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    return this.#call("update", async () => {
      const result = await this.#q.update.execute({
        id: record.id,
        userId: record.userId,
        expectedVersion,
        ...mutableValues(record),
        now: toDatetime(this.#now()),
      });
      return affectedRows(result) > 0;
    });
  }

  /** Removes a record; resolves whether or not it existed. */
  delete(id: string): Promise<void> {
    return this.#call("delete", async () => {
      await this.#q.delete.execute({ id });
    });
  }

  /** The user's live records, through the `user_id` index. */
  listByUser(userId: string): Promise<SessionRecord[]> {
    return this.#call("listByUser", async () => {
      const rows = await this.#q.listByUser.execute({ userId, now: toDatetime(this.#now()) });
      return rows.map((row) => toRecord(unpack(row)));
    });
  }

  /** Removes the user's live records except `exceptId`; resolves to how many went. */
  deleteByUser(userId: string, exceptId?: string): Promise<number> {
    return this.#call("deleteByUser", async () => {
      const now = toDatetime(this.#now());
      const result =
        exceptId === undefined
          ? await this.#q.deleteByUser.execute({ userId, now })
          : await this.#q.deleteByUserExcept.execute({ userId, exceptId, now });
      return affectedRows(result);
    });
  }

  /**
   * Deletes every expired row, `batchSize` rows per statement (oldest expiry first, through the
   * `expires_at` index), and resolves to how many went. Expired rows are never returned anyway;
   * this only reclaims space. Run it from a cron job (see the README).
   *
   * @throws InvalidArgumentError when `batchSize` is not a positive integer.
   */
  async purgeExpired(options: PurgeExpiredOptions = {}): Promise<number> {
    const batch = options.batchSize ?? 1000;
    if (!Number.isSafeInteger(batch) || batch < 1) {
      throw new InvalidArgumentError("purgeExpired: batchSize must be a positive integer");
    }
    const now = toDatetime(this.#now());
    return this.#call("purgeExpired", async () => {
      let purged = 0;
      for (;;) {
        const deleted = affectedRows(await this.#q.purge.execute({ now, batch }));
        purged += deleted;
        if (deleted < batch) return purged;
      }
    });
  }
}
