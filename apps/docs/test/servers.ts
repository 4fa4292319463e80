/** The machine's PostgreSQL for the docs' examples: connect (or fail in CI, or skip loudly). */
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
