/**
 * `PostgresStore`: Tessera sessions in one PostgreSQL table, through any drizzle Postgres driver
 * (node-postgres, postgres.js, PGlite, ...). Every operation is a single statement, so the store
 * needs no transactions and no locks of its own.
 */
import {
  InvalidArgumentError,
  SessionConflictError,
  type SessionRecord,
  type SessionStore,
  type StoredClient,
  StoreUnavailableError,
  TesseraConfigError,
  TesseraError,
} from "@tessera/core";
import { and, eq, gt, inArray, is, lte, ne, sql } from "drizzle-orm";
import {
  getTableConfig,
  PgDatabase,
  type PgQueryResultHKT,
  PgTable,
  type PgUpdateSetSource,
} from "drizzle-orm/pg-core";
import { createTableStatements, type SessionsTable, sessions } from "./schema.js";

/**
 * A drizzle database on any Postgres driver: `drizzle-orm/node-postgres`,
 * `drizzle-orm/postgres-js`, `drizzle-orm/pglite`, and the other pg-core drivers.
 */
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

/** Options of `PostgresStore`. */
export interface PostgresStoreOptions {
  /** The drizzle database, e.g. `drizzle({ client: pool })`. */
  db: AnyPgDatabase;
  /**
   * The sessions table.
   * @defaultValue `sessions` (the table named `sessions` on the `search_path`)
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

/** The columns the store reads, by record field. */
function selection(t: SessionsTable) {
  return {
    id: t.id,
    userId: t.userId,
    version: t.version,
    secretHash: t.secretHash,
    previousSecretHash: t.previousSecretHash,
    rotationNonce: t.rotationNonce,
    retiredSecretHashes: t.retiredSecretHashes,
    data: t.data,
    createdAt: t.createdAt,
    authenticatedAt: t.authenticatedAt,
    freshUntil: t.freshUntil,
    lastActiveAt: t.lastActiveAt,
    rotatedAt: t.rotatedAt,
    expiresAt: t.expiresAt,
    absoluteExpiresAt: t.absoluteExpiresAt,
    clientIp: t.clientIp,
    clientUa: t.clientUa,
    clientDeviceId: t.clientDeviceId,
  };
}

type Row = SessionsTable["$inferSelect"];

function toRecord(row: Row): SessionRecord {
  const client: StoredClient = {};
  if (row.clientIp !== null) client.ip = row.clientIp;
  if (row.clientUa !== null) client.ua = row.clientUa;
  if (row.clientDeviceId !== null) client.deviceId = row.clientDeviceId;
  return {
    id: row.id,
    userId: row.userId,
    version: row.version,
    secretHash: row.secretHash,
    previousSecretHash: row.previousSecretHash,
    rotationNonce: row.rotationNonce,
    retiredSecretHashes: row.retiredSecretHashes,
    data: row.data,
    createdAt: row.createdAt.getTime(),
    authenticatedAt: row.authenticatedAt.getTime(),
    freshUntil: row.freshUntil.getTime(),
    lastActiveAt: row.lastActiveAt.getTime(),
    rotatedAt: row.rotatedAt.getTime(),
    expiresAt: row.expiresAt.getTime(),
    absoluteExpiresAt: row.absoluteExpiresAt.getTime(),
    client,
  };
}

/** Every column but `id` and `user_id`, which never change, as statement parameters. */
function mutableValues(record: SessionRecord) {
  return {
    version: record.version,
    secretHash: record.secretHash,
    previousSecretHash: record.previousSecretHash,
    rotationNonce: record.rotationNonce,
    retiredSecretHashes: record.retiredSecretHashes,
    data: record.data,
    createdAt: new Date(record.createdAt),
    authenticatedAt: new Date(record.authenticatedAt),
    freshUntil: new Date(record.freshUntil),
    lastActiveAt: new Date(record.lastActiveAt),
    rotatedAt: new Date(record.rotatedAt),
    expiresAt: new Date(record.expiresAt),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
    clientIp: record.client.ip ?? null,
    clientUa: record.client.ua ?? null,
    clientDeviceId: record.client.deviceId ?? null,
  };
}

type MutableColumn = keyof ReturnType<typeof mutableValues>;
const MUTABLE_COLUMNS: readonly MutableColumn[] = [
  "version",
  "secretHash",
  "previousSecretHash",
  "rotationNonce",
  "retiredSecretHashes",
  "data",
  "createdAt",
  "authenticatedAt",
  "freshUntil",
  "lastActiveAt",
  "rotatedAt",
  "expiresAt",
  "absoluteExpiresAt",
  "clientIp",
  "clientUa",
  "clientDeviceId",
];

/** Placeholders for every mutable column, named after the column's property. */
function mutablePlaceholders() {
  const set: Record<string, ReturnType<typeof sql.placeholder>> = {};
  for (const column of MUTABLE_COLUMNS) set[column] = sql.placeholder(column);
  return set as { [K in MutableColumn]: ReturnType<typeof sql.placeholder> };
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

/** The column names `migrate()` knows how to create, by property. */
const STANDARD_COLUMN_NAMES = getTableConfig(sessions).columns.map((c) => c.name);

/**
 * The driver's own error. drizzle wraps driver errors in an error whose message lists every
 * parameter of the statement (user data, hashes, nonces): unwrapped so none of it reaches logs.
 */
function driverError(error: unknown): unknown {
  if (error instanceof Error && "query" in error && "params" in error && error.cause) {
    return error.cause;
  }
  return error;
}

/** Runs one store operation; a driver failure becomes `StoreUnavailableError`, cause chained. */
async function guarded<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    const cause = driverError(error);
    const reason = cause instanceof Error ? `: ${cause.message}` : "";
    throw new StoreUnavailableError(`PostgresStore.${operation} failed${reason}`, { cause });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function build(db: AnyPgDatabase, table: SessionsTable, named: boolean) {
  const t = table;
  const ph = sql.placeholder;
  const columns = selection(t);
  const live = gt(t.expiresAt, ph("now"));
  const name = (operation: string, query: { toSQL(): { sql: string } }) =>
    named ? `tessera_${operation}_${fingerprint(query.toSQL().sql)}` : "";
  const prepare = <Q extends { toSQL(): { sql: string }; prepare(name: string): unknown }>(
    operation: string,
    query: Q,
  ) => query.prepare(name(operation, query)) as ReturnType<Q["prepare"]>;

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
    get: prepare(
      "get",
      db
        .select(columns)
        .from(t)
        .where(and(eq(t.id, ph("id")), live)),
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
            eq(t.userId, ph("userId")),
            live,
          ),
        )
        .returning({ id: t.id }),
    ),
    delete: prepare("delete", db.delete(t).where(eq(t.id, ph("id")))),
    listByUser: prepare(
      "list",
      db
        .select(columns)
        .from(t)
        .where(and(eq(t.userId, ph("userId")), live)),
    ),
    // Expired rows of the user go too (they are garbage anyway) but only live ones are counted.
    deleteByUser: prepare(
      "revoke_all",
      db
        .delete(t)
        .where(eq(t.userId, ph("userId")))
        .returning({ expiresAt: t.expiresAt }),
    ),
    deleteByUserExcept: prepare(
      "revoke_others",
      db
        .delete(t)
        .where(and(eq(t.userId, ph("userId")), ne(t.id, ph("exceptId"))))
        .returning({ expiresAt: t.expiresAt }),
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
 * Every driver failure rejects with `StoreUnavailableError`, the driver's error as `cause`
 * (without drizzle's wrapper, whose message lists the statement's parameters).
 *
 * @example
 * ```ts
 * import { drizzle } from "drizzle-orm/node-postgres";
 * import pg from "pg";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, statement_timeout: 2000 });
 * const store = new PostgresStore({ db: drizzle({ client: pool }) });
 * await store.migrate(); // or ship migrations/0000_tessera_sessions.sql
 * const sessions = createSessions({ store });
 * // from a scheduled job:
 * await store.deleteExpired({ batchSize: 1000 });
 * ```
 * @throws TesseraConfigError from the constructor when `db` is not a drizzle Postgres database or
 * the table's name is unusable; `migrate()` rejects with it for a table with other column names.
 */
export class PostgresStore implements SessionStore {
  /** The drizzle table this store reads and writes. */
  readonly table: SessionsTable;
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
    this.table = options.table ?? sessions;
    this.#now = options.now ?? Date.now;
    this.#q = build(this.#db, this.table, options.preparedStatements ?? true);
  }

  /**
   * Creates the sessions table and its indexes if they do not exist (the statements of
   * `createTableSql`), under an advisory lock so that several processes starting at once do not
   * race. Meant for embedded databases (PGlite) and development; use migrations in production.
   * Only the standard column layout can be created this way: a custom table with other column
   * names throws `TesseraConfigError` (create it with drizzle-kit instead).
   */
  async migrate(): Promise<void> {
    const config = getTableConfig(this.table);
    const names = config.columns.map((c) => c.name);
    if (STANDARD_COLUMN_NAMES.some((column) => !names.includes(column))) {
      throw new TesseraConfigError(
        `migrate() creates the standard sessions table only; table "${config.name}" has other column names, create it with drizzle-kit`,
      );
    }
    const statements = createTableStatements(
      config.name,
      config.schema === undefined ? {} : { schema: config.schema },
    );
    await guarded("migrate", () =>
      this.#db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('tessera.migrate'))`);
        for (const statement of statements) await tx.execute(sql.raw(statement));
      }),
    );
  }

  /**
   * Inserts a record; rejects with `SessionConflictError` if a live record has the same id (an
   * expired row with that id is replaced).
   */
  create(record: SessionRecord): Promise<void> {
    return guarded("create", async () => {
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
    return guarded("get", async () => {
      const [row] = await this.#q.get.execute({ id, now: iso(this.#now()) });
      return row ? toRecord(row) : null;
    });
  }

  /** Compare-and-swap: writes only if the stored version is `expectedVersion` and the row is live. */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean> {
    return guarded("update", async () => {
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
    return guarded("delete", async () => {
      await this.#q.delete.execute({ id });
    });
  }

  /** The user's live records, through the `user_id` index. */
  listByUser(userId: string): Promise<SessionRecord[]> {
    return guarded("listByUser", async () => {
      const rows = await this.#q.listByUser.execute({ userId, now: iso(this.#now()) });
      return rows.map(toRecord);
    });
  }

  /** Removes the user's records except `exceptId`; resolves to the number of live ones removed. */
  deleteByUser(userId: string, exceptId?: string): Promise<number> {
    return guarded("deleteByUser", async () => {
      const rows =
        exceptId === undefined
          ? await this.#q.deleteByUser.execute({ userId })
          : await this.#q.deleteByUserExcept.execute({ userId, exceptId });
      const now = this.#now();
      return rows.filter((row) => row.expiresAt.getTime() > now).length;
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
    return guarded("deleteExpired", async () => {
      let deleted = 0;
      for (;;) {
        const rows = await this.#q.deleteExpired.execute({ now, batchSize });
        deleted += rows.length;
        if (rows.length < batchSize) return deleted;
      }
    });
  }
}
