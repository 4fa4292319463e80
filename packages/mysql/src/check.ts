/**
 * The table check a store makes once, before its first statement: a missing table, a table made
 * by an older migration or a column of the wrong type is a `TesseraConfigError` naming the
 * migration to run, never a statement that fails later or, worse, answers wrongly (a DATETIME
 * without milliseconds moves every expiry; a case-insensitive user id column merges users).
 */
import { TesseraConfigError } from "@tessera/core";
import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/mysql-core";
import { ADDED_BY, MIGRATIONS } from "./migrations.js";
import type { AnyMySqlDatabase, SessionsTable } from "./schema.js";

type Column = keyof SessionsTable["$inferSelect"];

/** How a column must be stored, whatever its SQL name. */
export type Kind = "bytes" | "integer" | "time" | "text" | "json";

/** Each column's kind: what the check accepts for it, and how the reads select it. */
export const KIND: Readonly<Record<Column, Kind>> = {
  id: "bytes",
  userId: "bytes",
  version: "integer",
  expiresAt: "time",
  absoluteExpiresAt: "time",
  createdAt: "time",
  authenticatedAt: "time",
  freshUntil: "time",
  lastActiveAt: "time",
  rotatedAt: "time",
  secretHash: "text",
  previousSecretHash: "text",
  rotationNonce: "text",
  retiredSecretHashes: "json",
  data: "json",
  clientIp: "text",
  clientUa: "text",
  clientDeviceId: "text",
  dbsc: "json",
  policy: "bytes",
  impersonatedBy: "bytes",
};

/** Columns that need an index whose first column they are. */
const INDEXED: readonly Column[] = ["id", "userId", "expiresAt"];

/** What the check reads of a column from information_schema. */
interface ColumnInfo {
  name: string;
  type: string;
  precision: number | null;
  charset: string | null;
  nullable: boolean;
}

const EXPECTED: Readonly<Record<Kind, string>> = {
  bytes: "VARBINARY (byte-wise comparison)",
  integer: "INT or BIGINT",
  time: "DATETIME(3)",
  text: "TEXT in utf8mb4",
  json: "JSON (LONGTEXT in utf8mb4 on MariaDB)",
};

function fits(kind: Kind, column: ColumnInfo): boolean {
  const utf8mb4 = column.charset === "utf8mb4";
  switch (kind) {
    case "bytes":
      return column.type === "varbinary";
    case "integer":
      return column.type === "int" || column.type === "bigint";
    case "time":
      return column.type === "datetime" && column.precision === 3;
    case "text":
      return ["text", "mediumtext", "longtext"].includes(column.type) && utf8mb4;
    case "json":
      return column.type === "json" || (column.type === "longtext" && utf8mb4);
  }
}

/** The rows of a raw `db.execute`: mysql2 answers `[rows, fields]`, others `{ rows }`. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result[0] as Record<string, unknown>[];
  return (result as { rows: Record<string, unknown>[] }).rows;
}

const text = (value: unknown) => (value === null || value === undefined ? null : String(value));

/** Reads the table's columns and first-column indexes, as the server describes them. */
async function describe(db: AnyMySqlDatabase, table: SessionsTable) {
  const { name, schema } = getTableConfig(table);
  const where = schema === undefined ? sql`database()` : sql`${schema}`;
  const [columns, indexes, current, epochs] = await Promise.all([
    db.execute(
      sql`select column_name as name, data_type as type, datetime_precision as \`precision\`,
        character_set_name as charset, is_nullable as nullable
        from information_schema.columns where table_schema = ${where} and table_name = ${name}`,
    ),
    db.execute(
      sql`select column_name as name from information_schema.statistics
        where table_schema = ${where} and table_name = ${name} and seq_in_index = 1`,
    ),
    db.execute(sql`select ${where} as db`),
    db.execute(
      sql`select 1 from information_schema.tables
        where table_schema = ${where} and table_name = ${`${name}_epochs`}`,
    ),
  ]);
  const found = new Map<string, ColumnInfo>();
  for (const row of rowsOf(columns)) {
    const info: ColumnInfo = {
      name: String(row.name).toLowerCase(),
      type: String(row.type).toLowerCase(),
      precision: row.precision === null ? null : Number(row.precision),
      charset: text(row.charset),
      nullable: row.nullable === "YES",
    };
    found.set(info.name, info);
  }
  const indexed = new Set(rowsOf(indexes).map((row) => String(row.name).toLowerCase()));
  const database = text(rowsOf(current)[0]?.db);
  return { name, database, found, indexed, epochs: rowsOf(epochs).length > 0 };
}

const q = (identifier: string) => `\`${identifier}\``;

/**
 * Throws `TesseraConfigError` naming what to run when `table` is not what the store needs: the
 * table missing, a column missing (with the migration that adds it), a column of another type,
 * NOT NULL where the store writes NULL, or a missing index.
 */
export async function checkTable(db: AnyMySqlDatabase, table: SessionsTable): Promise<void> {
  const { name, database, found, indexed, epochs } = await describe(db, table);
  const where = database === null ? q(name) : `${q(database)}.${q(name)}`;
  const fix = "migrate(db) from @tessera/mysql/setup";
  if (database === null) {
    throw new TesseraConfigError(
      `MySQLStore: the connection has no current database: give one (e.g. mysql2's { database }) or a table from sessionsTable(name, { database })`,
    );
  }
  if (found.size === 0) {
    throw new TesseraConfigError(
      `MySQLStore: table ${where} does not exist: run ${fix}, or the package's migrations/${MIGRATIONS.sessions}, ${MIGRATIONS.dbsc} then ${MIGRATIONS.policies}`,
    );
  }
  const problems: string[] = [];
  const missing = new Set<string>();
  for (const [property, kind] of Object.entries(KIND) as [Column, Kind][]) {
    const column = table[property];
    const info = found.get(column.name.toLowerCase());
    if (!info) {
      missing.add(ADDED_BY[property]);
      problems.push(`lacks column ${q(column.name)} (added by migrations/${ADDED_BY[property]})`);
    } else if (!fits(kind, info)) {
      const precision = info.precision === null ? "" : `(${info.precision})`;
      const charset = info.charset === null ? "" : ` ${info.charset}`;
      problems.push(
        `column ${q(column.name)} is ${info.type}${precision}${charset}, not ${EXPECTED[kind]}`,
      );
    } else if (!column.notNull && !info.nullable) {
      problems.push(`column ${q(column.name)} is NOT NULL but holds NULL for absent values`);
      // user_id: guest sessions have none since migration 0002, which drops its NOT NULL.
      if (property === "userId") missing.add(MIGRATIONS.policies);
    } else if (INDEXED.includes(property) && !indexed.has(info.name)) {
      problems.push(`column ${q(column.name)} has no index (the store's queries search it)`);
    }
  }
  if (!epochs) {
    missing.add(MIGRATIONS.policies);
    problems.push(
      `has no revocation epochs table ${q(`${name}_epochs`)} (made by migrations/${MIGRATIONS.policies})`,
    );
  }
  if (problems.length === 0) return;
  const run =
    missing.size > 0
      ? `run ${[...missing]
          .sort()
          .map((file) => `migrations/${file}`)
          .join(" then ")} (or ${fix})`
      : `recreate it as migrations/${MIGRATIONS.sessions} and ${MIGRATIONS.dbsc} define it`;
  throw new TesseraConfigError(`MySQLStore: table ${where} ${problems.join("; ")}: ${run}`);
}
