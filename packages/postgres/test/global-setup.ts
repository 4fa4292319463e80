/**
 * Finds the machine's PostgreSQL server and gives this test run a schema of its own, dropped at
 * the end: other suites use the same server at the same time, so nothing here touches anything
 * outside that schema. Without a server the real-server suites are skipped with a warning, except
 * under CI=true, where the run fails.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";

export interface PostgresTarget {
  url: string;
  schema: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PostgresTarget | null;
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
  const where = url.replace(/\/\/[^@/]*@/, "//");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    const message = `PostgreSQL is unreachable at ${where} (${(error as Error).message})`;
    if (process.env.CI === "true") {
      throw new Error(`${message}: with CI=true the PostgreSQL suites must run, not skip`);
    }
    console.warn(
      `\n[@tessera/postgres] WARNING: ${message}. The real-server suites are SKIPPED; only PGlite runs.\n`,
    );
    project.provide("postgres", null);
    return;
  }
  const suffix = Math.random().toString(36).slice(2, 8);
  const schema = `tessera_pg_test_${Date.now().toString(36)}_${suffix}`;
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.end();
  project.provide("postgres", { url, schema });

  return async () => {
    const cleanup = new pg.Client({ connectionString: url });
    await cleanup.connect();
    try {
      // Only this run's own schema, never anything shared.
      await cleanup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await cleanup.end();
    }
  };
}
