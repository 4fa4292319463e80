/**
 * `PostgresStore`: Tessera sessions in one PostgreSQL table, through any drizzle Postgres driver
 * (node-postgres, postgres.js, PGlite, ...). Every operation is a single statement, so the store
 * needs no transactions and no locks of its own.
 */
import { InvalidArgumentError, SessionConflictError, TesseraConfigError } from "@tessera/core";
import {
  isLive,
  oncePerMillisecond,
  type RevocationEpochs,
  type SessionRecord,
  type SessionStore,
} from "@tessera/core/store";
import { and, eq, gt, inArray, is, lte, ne, type SQL, sql } from "drizzle-orm";
import {
  getTableConfig,
  PgDatabase,
  PgDialect,
  type PgPreparedQuery,
  PgTable,
  type PgUpdateSetSource,
} from "drizzle-orm/pg-core";
import {
  MUTABLE_COLUMNS,
  type MutableColumn,
  mutableValues,
  RECORD_COLUMNS,
  type SelectedRow,
  TIME_COLUMNS,
  toRecord,
} from "./codec.js";
import { postgresCall } from "./failure.js";
import {
  type AnyPgDatabase,
  type EpochsTable,
  epochsTableOf,
  type SessionsTable,
  tesseraSessions,
} from "./schema.js";

/** Options of `PostgresStore`. */
export interface PostgresStoreOptions {
  /** The drizzle database, e.g. `drizzle({ client: pool })`. */
  db: AnyPgDatabase;
  /**
   * The sessions table, from `sessionsTable(...)` in `@tessera/postgres/setup` or your own with
   * the same columns. Default: `tesseraSessions` (the table named `sessions` on the
   * `search_path`).
   */
  table?: SessionsTable;
  /**
   * Clock for expiry, in milliseconds. Use the same clock as `createSessions`.
   * @defaultValue `Date.now`
   */
  now?: () => number;
  /**
   * Run the store's queries as named prepared statements (node-postgres only; postgres.js
   * prepares on its own and PGlite has nothing to gain). Saves the server a parse and plan per
   * validate. Turn it off behind a pooler in transaction mode (PgBouncer before 1.21, Supabase's
   * transaction pooler).
   * @defaultValue `true`
   */
  preparedStatements?: boolean;
}

/** Options of `deleteExpired`. */
export interface DeleteExpiredOptions {
  /**
   * Rows deleted per statement; each batch is its own short statement, so a large backlog never
   * holds many row locks at once.
   * @defaultValue `1000`
   */
  batchSize?: number;
}

/**
 * The columns the store reads, in `RECORD_COLUMNS` order (a row comes back as an array); times
 * as epoch milliseconds computed by the server (`float8`, exact for millisecond timestamps),
 * which the drivers turn into numbers far more cheaply than timestamptz text into `Date`s.
 */
function selection(t: SessionsTable): SQL {
  const times = new Set<string>(TIME_COLUMNS);
  return sql.join(
    RECORD_COLUMNS.map((column) =>
      times.has(column)
        ? sql`(extract(epoch from ${t[column]}) * 1000)::float8`
        : sql`${t[column]}`,
    ),
    sql`, `,
  );
}

/** An epoch read in a scalar subquery: `revoked_before` of one scope as `float8`, 0 when unset. */
function epochOf(e: EpochsTable, scope: SQL): SQL {
  return sql`coalesce((select ${e.revokedBefore} from ${e} where ${e.scope} = ${scope}), 0)::float8`;
}

/**
 * The reads' values packed into one text column: a JSON array, in the order they are listed.
 * Every driver hands back text as a string, and one `JSON.parse` of it costs the client far less
 * than the driver's per-column work on two dozen columns (node-postgres builds a field map and a
 * parser per column on every result, parses the `text[]` literal and the jsonb separately).
 * `json_build_array` keeps each value's JSON type: times stay numbers, jsonb stays nested JSON,
 * `text[]` becomes an array.
 */
function packed(values: SQL): SQL {
  return sql`json_build_array(${values})::text`;
}

/** The packed row of a read (see `packed`) as the array the codec maps. */
function unpack(row: SelectedRow): SelectedRow {
  return JSON.parse(row[0] as string) as SelectedRow;
}

/** The scope of the global epoch (a user id is never empty). */
const GLOBAL = sql.raw("''");

/** A statement whose rows come back as arrays, for the store's own mapping. */
type RowsQuery = PgPreparedQuery<{ execute: SelectedRow[]; all: unknown; values: unknown }>;

/** Placeholders for every mutable column, named after the column's property. */
function mutablePlaceholders() {
  const set = {} as Record<MutableColumn, ReturnType<typeof sql.placeholder>>;
  for (const column of MUTABLE_COLUMNS) set[column] = sql.placeholder(column);
  return set;
}

/** A short stable hash of a statement's text, so each table gets its own statement names. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/** Where `getWithEpochs` puts the two epochs in its row: after the record's columns. */
const EPOCHS_AT = RECORD_COLUMNS.length;

/**
 * Epoch ms as the ISO text a timestamptz parameter takes (formatting a `Date` is not free, so
 * requests in the same millisecond share one string).
 */
const iso = oncePerMillisecond((ms) => new Date(ms).toISOString());

function build(db: AnyPgDatabase, table: SessionsTable, e: EpochsTable, named: boolean) {
  const t = table;
  const ph = sql.placeholder;
  const columns = selection(t);
  const dialect = new PgDialect();
  // Live in SQL: `expiresAt` is never later than `absoluteExpiresAt`, so this is the kit's
  // `isLive` on the one indexed column.
  const live = gt(t.expiresAt, ph("now"));
  const ends = { expiresAt: t.expiresAt, absoluteExpiresAt: t.absoluteExpiresAt };
  const name = (operation: string, query: { toSQL(): { sql: string } }) =>
    named ? `tessera_${operation}_${fingerprint(query.toSQL().sql)}` : "";
  const prepare = <Q extends { toSQL(): { sql: string }; prepare(name: string): unknown }>(
    operation: string,
    query: Q,
  ) => query.prepare(name(operation, query)) as ReturnType<Q["prepare"]>;
  // The reads: drizzle writes the SQL and prepares it, the rows come back as the driver's arrays
  // and `toRecord` maps them by hand (drizzle's per-column mapping was most of a validate's
  // client-side cost).
  const rows = (operation: string, query: SQL): RowsQuery => {
    const built = dialect.sqlToQuery(query);
    const statement = named ? `tessera_${operation}_${fingerprint(built.sql)}` : undefined;
    return db._.session.prepareQuery(
      built,
      undefined,
      statement,
      true,
      (raw) => raw as SelectedRow[],
    );
  };

  const values = mutablePlaceholders();
  // drizzle binds a placeholder in `set` to its column's encoder at run time (jsonb, timestamptz,
  // text[]), exactly as in `values`; only its types leave placeholders out of `set`.
  const assign = values as unknown as PgUpdateSetSource<SessionsTable>;
  // On conflict, the incoming row's own values: no second copy of every parameter.
  const replace: PgUpdateSetSource<SessionsTable> = {};
  for (const column of ["userId", ...MUTABLE_COLUMNS] as const) {
    replace[column] = sql`excluded.${sql.identifier(t[column].name)}`;
  }
  return {
    get: rows(
      "get",
      sql`select ${packed(columns)} from ${t} where ${and(eq(t.id, ph("id")), live)}`,
    ),
    // One statement: the session, the global epoch and its user's epoch (none for a guest:
    // `scope = NULL` matches no row).
    getWithEpochs: rows(
      "get_epochs",
      sql`select ${packed(sql`${columns}, ${epochOf(e, GLOBAL)}, ${epochOf(e, sql`${t.userId}`)}`)} from ${t} where ${and(eq(t.id, ph("id")), live)}`,
    ),
    readEpochs: rows(
      "read_epochs",
      sql`select ${epochOf(e, GLOBAL)}, ${epochOf(e, sql`${ph("scope")}`)}`,
    ),
    // Max semantics in the upsert itself: concurrent raises serialize on the row, the highest wins.
    raiseEpoch: prepare(
      "raise_epoch",
      db
        .insert(e)
        .values({ scope: ph("scope"), revokedBefore: ph("at") })
        .onConflictDoUpdate({
          target: e.scope,
          set: {
            revokedBefore: sql`greatest(${e.revokedBefore}, excluded.${sql.identifier(e.revokedBefore.name)})`,
          },
        }),
    ),
    // A live id is never overwritten; an expired row with the same id is replaced in place.
    create: prepare(
      "create",
      db
        .insert(t)
        .values({ id: ph("id"), userId: ph("userId"), ...values })
        .onConflictDoUpdate({
          target: t.id,
          set: replace,
          setWhere: lte(t.expiresAt, ph("now")),
        })
        .returning({ id: t.id }),
    ),
    update: prepare(
      "update",
      db
        .update(t)
        .set(assign)
        .where(
          and(
            eq(t.id, ph("id")),
            eq(t.version, ph("expectedVersion")),
            // The user never changes; null-safe, for guest sessions.
            sql`${t.userId} is not distinct from ${ph("userId")}`,
            live,
          ),
        )
        .returning({ id: t.id }),
    ),
    delete: prepare("delete", db.delete(t).where(eq(t.id, ph("id")))),
    listByUser: rows(
      "list",
      sql`select ${columns} from ${t} where ${and(eq(t.userId, ph("userId")), live)}`,
    ),
    // Expired rows of the user go too (they are garbage anyway) but only live ones are counted.
    deleteByUser: prepare(
      "revoke_all",
      db
        .delete(t)
        .where(eq(t.userId, ph("userId")))
        .returning(ends),
    ),
    deleteByUserExcept: prepare(
      "revoke_others",
      db
        .delete(t)
        .where(and(eq(t.userId, ph("userId")), ne(t.id, ph("exceptId"))))
        .returning(ends),
    ),
    deleteExpired: prepare(
      "delete_expired",
      db
        .delete(t)
        .where(
          inArray(
            t.id,
            db
              .select({ id: t.id })
              .from(t)
              .where(lte(t.expiresAt, ph("now")))
              .limit(ph("batchSize"))
              // Concurrent cron runs split the work instead of waiting on each other's rows.
              .for("update", { skipLocked: true }),
          ),
        )
        .returning({ id: t.id }),
    ),
  };
}

/**
 * A Tessera `SessionStore` on PostgreSQL through drizzle-orm.
 *
 * - `get` is one primary-key `SELECT` (the validate hot path).
 * - `update` is one `UPDATE ... WHERE id = $1 AND version = $2`: an atomic compare-and-swap.
 * - `listByUser` and `deleteByUser` use the `user_id` index: O(sessions of that user).
 * - Rows past `expires_at` (by the store's clock) are never returned nor updated; remove them
 *   with `deleteExpired()` from a cron job.
 *
 * Every driver failure rejects with `StoreUnavailableError` naming the driver's error code, the
 * driver's error as `cause` (without drizzle's wrapper, whose message lists the statement's
 * parameters). Provisioning (`migrate`, the SQL, the table definitions) is in
 * `@tessera/postgres/setup`.
 *
 * @example
 * ```ts
 * import { drizzle } from "drizzle-orm/node-postgres";
 * import { migrate } from "@tessera/postgres/setup";
 * import pg from "pg";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, statement_timeout: 2000 });
 * const db = drizzle({ client: pool });
 * await migrate(db); // or ship migrations/0000_tessera_sessions.sql and 0001_tessera_dbsc.sql
 * const sessions = createSessions({ store: new PostgresStore({ db }) });
 * // from a scheduled job:
 * await new PostgresStore({ db }).deleteExpired({ batchSize: 1000 });
 * ```
 * @throws TesseraConfigError from the constructor when `db` is not a drizzle Postgres database or
 * the table's name is unusable.
 */
export class PostgresStore implements SessionStore {
  /** The drizzle table this store reads and writes. */
  readonly table: SessionsTable;
  /** The revocation epochs table: `<table>_epochs` in the table's schema (see `epochsTable`). */
  readonly epochsTable: EpochsTable;
  readonly #db: AnyPgDatabase;
  readonly #now: () => number;
  readonly #q: ReturnType<typeof build>;

  /** Builds the store; throws `TesseraConfigError` if `db` is not a drizzle Postgres database. */
  constructor(options: PostgresStoreOptions) {
    if (!options || !is(options.db, PgDatabase)) {
      throw new TesseraConfigError(
        "PostgresStore needs { db }: a drizzle Postgres database, e.g. drizzle({ client: pool }) from drizzle-orm/node-postgres",
      );
    }
    if (options.table !== undefined && !is(options.table, PgTable)) {
      throw new TesseraConfigError("PostgresStore: table must be a drizzle pg table");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TesseraConfigError("PostgresStore: now must be a function returning milliseconds");
    }
    this.#db = options.db;
    this.table = options.table ?? tesseraSessions;
    this.#now = options.now ?? Date.now;
    const { name, schema } = getTableConfig(this.table);
    this.epochsTable = epochsTableOf(name, schema);
    this.#q = build(this.#db, this.table, this.epochsTable, options.preparedStatements ?? true);
  }

  /**
   * Inserts a record; rejects with `SessionConflictError` if a live record has the same id (an
   * expired row with that id is replaced).
   */
  create(record: SessionRecord): Promise<void> {
    return postgresCall("create", async () => {
      const rows = await this.#q.create.execute({
        id: record.id,
        userId: record.userId,
        ...mutableValues(record),
        now: iso(this.#now()),
      });
      if (rows.length === 0) throw new SessionConflictError(`session ${record.id} already exists`);
    });
  }

  /** Reads a live record by id: one primary-key `SELECT`. */
  get(id: string): Promise<SessionRecord | null> {
    return postgresCall("get", async () => {
      const [row] = await this.#q.get.execute({ id, now: iso(this.#now()) });
      return row ? toRecord(unpack(row)) : null;
    });
  }

  /**
   * Reads a live record and the revocation epochs that apply to it in one statement: the
   * primary-key `SELECT` with two scalar subqueries on the epochs table (global, and the
   * record's user; 0 for a guest or a user never revoked).
   */
  getWithEpochs(id: string): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
    return postgresCall("getWithEpochs", async () => {
      const [packedRow] = await this.#q.getWithEpochs.execute({ id, now: iso(this.#now()) });
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
    return postgresCall("readEpochs", async () => {
      const [row] = await this.#q.readEpochs.execute({ scope: userId });
      return { global: Number(row?.[0] ?? 0), user: Number(row?.[1] ?? 0) };
    });
  }

  /**
   * Raises the global epoch (`userId` null) or one user's to `at` (epoch ms) unless it is higher
   * already: one upsert keeping the greater value, atomic under concurrency. Epoch rows never
   * expire.
   *
   * @throws InvalidArgumentError for an empty user id or an `at` that is not a whole number of
   * milliseconds.
   */
  raiseEpoch(userId: string | null, at: number): Promise<void> {
    if (userId === "" || !Number.isSafeInteger(at) || at < 0) {
      return Promise.reject(
        new InvalidArgumentError("raiseEpoch needs a non-empty user id (or null) and epoch ms"),
      );
    }
    return postgresCall("raiseEpoch", async () => {
      await this.#q.raiseEpoch.execute({ scope: userId ?? "", at });
    });
  }

  /** Compare-and-swap: writes only if the stored version is `expectedVersion` and the row is live. */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    return postgresCall("update", async () => {
      const rows = await this.#q.update.execute({
        id: record.id,
        userId: record.userId,
        expectedVersion,
        ...mutableValues(record),
        now: iso(this.#now()),
      });
      return rows.length > 0;
    });
  }

  /** Removes a record; resolves whether or not it existed. */
  delete(id: string): Promise<void> {
    return postgresCall("delete", async () => {
      await this.#q.delete.execute({ id });
    });
  }

  /** The user's live records, through the `user_id` index. */
  listByUser(userId: string): Promise<SessionRecord[]> {
    return postgresCall("listByUser", async () => {
      const rows = await this.#q.listByUser.execute({ userId, now: iso(this.#now()) });
      return rows.map(toRecord);
    });
  }

  /** Removes the user's records except `exceptId`; resolves to the number of live ones removed. */
  deleteByUser(userId: string, exceptId?: string): Promise<number> {
    return postgresCall("deleteByUser", async () => {
      const rows =
        exceptId === undefined
          ? await this.#q.deleteByUser.execute({ userId })
          : await this.#q.deleteByUserExcept.execute({ userId, exceptId });
      const now = this.#now();
      return rows.filter((row) =>
        isLive(
          {
            expiresAt: row.expiresAt.getTime(),
            absoluteExpiresAt: row.absoluteExpiresAt.getTime(),
          },
          now,
        ),
      ).length;
    });
  }

  /**
   * Deletes every expired row, in batches, and resolves to how many went. Expired rows are never
   * returned anyway; this only reclaims space. Run it from a cron job (see the README).
   */
  async deleteExpired(options: DeleteExpiredOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError("deleteExpired: batchSize must be a positive integer");
    }
    const now = iso(this.#now());
    return postgresCall("deleteExpired", async () => {
      let deleted = 0;
      for (;;) {
        const rows = await this.#q.deleteExpired.execute({ now, batchSize });
        deleted += rows.length;
        if (rows.length < batchSize) return deleted;
      }
    });
  }
}
