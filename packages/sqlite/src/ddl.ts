/**
 * The sessions table as SQL, written from its drizzle definition (so the SQL and the definition
 * cannot drift apart): the statements `migrate` runs, `createTableSql` returns and the table
 * check quotes in its advice.
 */
import { getTableConfig, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { SessionsTable } from "./schema.js";

/** `"name"`, quoted for SQLite. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** One column as `CREATE TABLE` and `ALTER TABLE ... ADD COLUMN` write it. */
export function columnDefinition(column: SQLiteColumn): string {
  let definition = `${quote(column.name)} ${column.getSQLType()}`;
  if (column.primary) definition += " PRIMARY KEY";
  if (column.notNull) definition += " NOT NULL";
  // The defaults are the JSON columns' empty values ('[]', '{}').
  if (column.hasDefault && column.default !== undefined) {
    definition += ` DEFAULT '${JSON.stringify(column.default).replaceAll("'", "''")}'`;
  }
  return definition;
}

/**
 * The statements that create `table` and its indexes, idempotently (`IF NOT EXISTS`), one
 * string per statement (D1 and libSQL run one statement per call).
 */
export function tableStatements(table: SessionsTable): string[] {
  const config = getTableConfig(table);
  const name = quote(config.name);
  const columns = config.columns.map((column) => `  ${columnDefinition(column)}`);
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (\n${columns.join(",\n")}\n)`,
    ...config.indexes.map(({ config: index }) => {
      const on = index.columns.map((column) => quote((column as SQLiteColumn).name)).join(", ");
      return `CREATE INDEX IF NOT EXISTS ${quote(index.name)} ON ${name} (${on})`;
    }),
  ];
}
