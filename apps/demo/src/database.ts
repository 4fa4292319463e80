/**
 * The demo's own data (accounts and the security event log), kept apart from the session
 * store: PGlite in a local folder by default, so a restart keeps everything.
 */
import { PGlite } from "@electric-sql/pglite";

/** The one query method the demo needs; PGlite and a pg Pool both have it. */
export interface AppDatabase {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  close(): Promise<void>;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS demo_users (
    id text PRIMARY KEY,
    username text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    is_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS demo_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    type text NOT NULL,
    session_id text,
    user_id text,
    detail text,
    client text
  );
  CREATE INDEX IF NOT EXISTS demo_events_session ON demo_events (session_id);
`;

/** Opens (and creates on first start) the PGlite database in `dataDir`. */
export async function openEmbeddedDatabase(dataDir: string): Promise<{
  database: AppDatabase;
  pglite: PGlite;
}> {
  const pglite = await PGlite.create(dataDir);
  await pglite.exec(SCHEMA);
  const database: AppDatabase = {
    query: async <Row>(sql: string, params?: unknown[]) => {
      const result = await pglite.query<Row>(sql, params);
      return { rows: result.rows };
    },
    close: () => pglite.close(),
  };
  return { database, pglite };
}

/** Wraps a node-postgres pool (STORE=postgres keeps the demo's tables on the same server). */
export async function openServerDatabase(pool: {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}): Promise<AppDatabase> {
  await pool.query(SCHEMA);
  return {
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await pool.query(sql, params)) as { rows: Row[] },
    close: () => pool.end(),
  };
}
