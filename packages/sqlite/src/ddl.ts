/**
 * The sessions table as SQL, written from its drizzle definition (so the SQL and the definition
 * cannot drift apart): the statements `migrate` runs, `createTableSql` returns and the table
 * check quotes in its advice.
 */
import { getTableConfig, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type EpochsTable, epochsTable, type SessionsTable } from "./schema.js";

/** `"name"`, quoted for SQLite. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** One column as `CREATE TABLE` and `ALTER TABLE ... ADD COLUMN` write it. */
export function columnDefinition(column: SQLiteColumn): string {
  let definition = `${quote(column.name)} ${column.getSQLType()}`;
  if (column.primary) definition += " PRIMARY KEY";
  if (column.notNull) definition += " NOT NULL";
  // The defaults are the JSON columns' empty values ('[]', '{}') and the policy's 'default'.
  if (column.hasDefault && column.default !== undefined) {
    const value =
      typeof column.default === "string" ? column.default : JSON.stringify(column.default);
    definition += ` DEFAULT '${value.replaceAll("'", "''")}'`;
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

/** The epochs table of `table` (`<name>_epochs`), unchecked: the name was checked with the table's. */
export function epochsOf(table: SessionsTable): EpochsTable {
  return epochsTable(getTableConfig(table).name);
}

/** The statement that creates the epochs table of `table`, idempotently. */
export function epochsStatement(table: SessionsTable): string {
  const config = getTableConfig(epochsOf(table));
  const columns = config.columns.map((column) => `  ${columnDefinition(column)}`);
  return `CREATE TABLE IF NOT EXISTS ${quote(config.name)} (\n${columns.join(",\n")}\n)`;
}

/**
 * The statements that rebuild `table` in the current shape, keeping its rows: SQLite cannot
 * drop a NOT NULL (`user_id` before guest sessions), so a new table takes every row and then the
 * old one's name (the procedure of SQLite's "ALTER TABLE" page). Every column must exist in the
 * old table (add the missing ones first); the indexes go with the old table, recreate them after.
 */
export function rebuildStatements(table: SessionsTable): string[] {
  const config = getTableConfig(table);
  const name = quote(config.name);
  const scratch = quote(`${config.name}__tessera_rebuild`);
  const columns = config.columns.map((column) => quote(column.name)).join(", ");
  const definitions = config.columns.map((column) => `  ${columnDefinition(column)}`);
  return [
    `DROP TABLE IF EXISTS ${scratch}`,
    `CREATE TABLE ${scratch} (\n${definitions.join(",\n")}\n)`,
    `INSERT INTO ${scratch} (${columns}) SELECT ${columns} FROM ${name}`,
    `DROP TABLE ${name}`,
    `ALTER TABLE ${scratch} RENAME TO ${name}`,
  ];
}
