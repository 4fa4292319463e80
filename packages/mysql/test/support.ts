/** Shared by the test files: the server and database of this run, and a few helpers. */
import mysql from "mysql2/promise";
import { describe, inject } from "vitest";

/** This run's server and database, or null when no server is reachable (outside CI only). */
export const server = inject("mysql");

/** `describe` that is skipped (loudly, see global-setup) when there is no MySQL server. */
export function describeServer(name: string, body: () => void): void {
  describe.skipIf(server === null)(name, body);
}

/** A mysql2 pool on this run's database with a small connection budget (the server is shared). */
export function testPool(options: mysql.PoolOptions = {}): mysql.Pool {
  return mysql.createPool({
    uri: server?.url,
    database: server?.database,
    connectionLimit: 4,
    ...options,
  });
}

/** One connection of its own on this run's database (to hold locks, kill, inspect). */
export function testConnection(options: mysql.ConnectionOptions = {}) {
  return mysql.createConnection({ uri: server?.url, database: server?.database, ...options });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once connection `id` is waiting (on a lock) rather than running or idle. */
export async function waitUntilWaiting(observer: mysql.Connection, id: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const [rows] = await observer.query<mysql.RowDataPacket[]>(
      "select state from information_schema.processlist where id = ?",
      [id],
    );
    if (/wait|lock/i.test(String(rows[0]?.state ?? ""))) return;
    await sleep(10);
  }
  throw new Error(`connection ${id} never waited`);
}
