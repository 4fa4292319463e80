/**
 * The check a store makes once, before its first statement: does the database hold the table the
 * drizzle definition describes? A missing table, a column missing (a table made by an older
 * migration) or declared with another type would otherwise give wrong answers or errors that
 * name no fix; each becomes a `TesseraConfigError` saying what to run.
 */
import { TesseraConfigError } from "@tessera/core";
import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { columnDefinition, epochsOf, quote } from "./ddl.js";
import type { AnySQLiteDatabase, SessionsTable } from "./schema.js";

/** A column as `pragma_table_info` describes it. */
interface ColumnInfo {
  name: string;
  type: string;
  /** 1 when the column is declared NOT NULL. */
  notnull?: number | boolean;
}

/** The type affinity SQLite gives a declared type (section 3.1 of SQLite's "Datatypes"). */
export function affinity(declared: string): "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC" {
  const type = declared.toUpperCase();
  if (type.includes("INT")) return "INTEGER";
  if (type.includes("CHAR") || type.includes("CLOB") || type.includes("TEXT")) return "TEXT";
  if (type === "" || type.includes("BLOB")) return "BLOB";
  if (type.includes("REAL") || type.includes("FLOA") || type.includes("DOUB")) return "REAL";
  return "NUMERIC";
}

/** What is wrong with the table as the database holds it; empty when nothing is. */
export function tableProblems(table: SessionsTable, found: readonly ColumnInfo[]): string[] {
  const config = getTableConfig(table);
  const name = quote(config.name);
  if (found.length === 0) {
    return [
      `SQLite table ${name} does not exist: run migrate(db) from @tessera/sqlite/setup, or createTableSql() (migrations/0000_tessera_sessions.sql) in your migration tool`,
    ];
  }
  const byName = new Map(found.map((column) => [column.name, column]));
  const problems: string[] = [];
  const missing = config.columns.filter((column) => !byName.has(column.name));
  if (missing.length > 0) {
    const alters = missing.map((column) =>
      column.notNull && !column.hasDefault
        ? `recreate the table (${quote(column.name)} is NOT NULL without a default)`
        : `ALTER TABLE ${name} ADD COLUMN ${columnDefinition(column)}`,
    );
    problems.push(
      `SQLite table ${name} lacks ${missing.map((c) => quote(c.name)).join(", ")}: it was made by an older migration; run migrate(db) from @tessera/sqlite/setup, or: ${alters.join("; ")}`,
    );
  }
  for (const column of config.columns) {
    const stored = byName.get(column.name);
    if (!stored) continue;
    if (!column.notNull && Number(stored.notnull) === 1) {
      problems.push(
        `SQLite table ${name}: column ${quote(column.name)} is NOT NULL but the store writes NULL there (guest sessions have no user): it was made by an older migration; run migrate(db) from @tessera/sqlite/setup, or migrations/0001_tessera_policies.sql`,
      );
    }
    const expected = affinity(column.getSQLType());
    if (affinity(stored.type) !== expected) {
      problems.push(
        `SQLite table ${name}: column ${quote(column.name)} is declared ${JSON.stringify(stored.type)} but the store keeps ${column.getSQLType()} there; recreate the table with createTableSql() from @tessera/sqlite/setup`,
      );
    }
  }
  return problems;
}

/** The table's columns as the database holds them (none when the table does not exist). */
export async function readColumns(
  db: AnySQLiteDatabase,
  table: SessionsTable,
): Promise<ColumnInfo[]> {
  const { name } = getTableConfig(table);
  return await db.all<ColumnInfo>(
    sql`select name, type, "notnull" from pragma_table_info(${name})`,
  );
}

/** Rejects with `TesseraConfigError` naming every problem of the table, or resolves. */
export async function checkTable(db: AnySQLiteDatabase, table: SessionsTable): Promise<void> {
  const problems = tableProblems(table, await readColumns(db, table));
  const epochs = getTableConfig(epochsOf(table)).name;
  if (problems.length === 0) {
    const found = await db.all(sql`select name from pragma_table_info(${epochs})`);
    if (found.length === 0) {
      problems.push(
        `SQLite table ${quote(epochs)} (the revocation epochs) does not exist: run migrate(db) from @tessera/sqlite/setup, or migrations/0001_tessera_policies.sql`,
      );
    }
  }
  if (problems.length > 0) throw new TesseraConfigError(problems.join("\n"));
}
