/**
 * The machine's PostgreSQL and MySQL/MariaDB for the docs' examples: connect (or fail in CI, or
 * skip loudly), and give a test a schema or database of its own.
 */
import mysql from "mysql2/promise";
import pg from "pg";
import { onTestFinished } from "vitest";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The machine's PostgreSQL, or null (skipped loudly; a failure with CI=true). */
export async function connectPostgres(): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return client;
  } catch (cause) {
    const message = `PostgreSQL at ${DATABASE_URL} is unreachable: the docs' PostgreSQL examples need it`;
    if (process.env.CI === "true") throw new Error(message, { cause });
    console.warn(`\n*** WARNING: ${message}; skipping them. ***\n`);
    return null;
  }
}

/** A schema of this run, dropped when the test finishes; the URL that makes it the search path. */
export async function ownSchema(client: pg.Client, label: string): Promise<string> {
  const schema = `tessera_docs_${label}_${Date.now().toString(36)}_${process.pid}`;
  await client.query(`CREATE SCHEMA "${schema}"`);
  onTestFinished(() => client.query(`DROP SCHEMA "${schema}" CASCADE`).then(() => undefined));
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

export const MYSQL_URL = process.env.MYSQL_URL || "mysql://root@127.0.0.1:3306";

/** The machine's MySQL or MariaDB, or null (skipped loudly; a failure with CI=true). */
export async function connectMySQL(): Promise<mysql.Connection | null> {
  try {
    return await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
  } catch (cause) {
    const where = MYSQL_URL.replace(/\/\/[^@/]*@/, "//");
    const message = `MySQL/MariaDB at ${where} is unreachable: the docs' MySQL examples need it`;
    if (process.env.CI === "true") throw new Error(message, { cause });
    console.warn(`\n*** WARNING: ${message}; skipping them. ***\n`);
    return null;
  }
}

/** A database of this run, dropped when the test finishes; the URL that selects it. */
export async function ownDatabase(admin: mysql.Connection, label: string): Promise<string> {
  const database = `tessera_docs_${label}_${Date.now().toString(36)}_${process.pid}`;
  await admin.query(`CREATE DATABASE \`${database}\``);
  onTestFinished(() => admin.query(`DROP DATABASE \`${database}\``).then(() => undefined));
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
