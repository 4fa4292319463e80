/** Shared by the test files: the server and schema of this run, and a few helpers. */
import pg from "pg";
import { describe, inject } from "vitest";

/** This run's server URL and schema, or null when no server is reachable (outside CI only). */
export const server = inject("postgres");

/** `describe` that is skipped (loudly, see global-setup) when there is no PostgreSQL server. */
export function describeServer(name: string, body: () => void): void {
  describe.skipIf(server === null)(name, body);
}

/** A node-postgres pool on the test server with a small connection budget (the server is shared). */
export function testPool(config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: server?.url, max: 4, ...config });
  // An idle client whose connection dies emits "error" on the pool; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

/** `"schema"."table"` for raw SQL in tests. */
export function qualified(table: string): string {
  return `"${server?.schema}"."${table}"`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Holds an ACCESS EXCLUSIVE lock on one of this run's tables from a connection of its own, so
 * that the store's next statement on it blocks (a slow query on demand). `release` rolls back.
 */
export async function lockTable(table: string) {
  const locker = new pg.Client({ connectionString: server?.url });
  await locker.connect();
  await locker.query("begin");
  await locker.query(`lock table ${qualified(table)} in access exclusive mode`);
  return {
    /** Resolves once backend `pid` is waiting for this lock. */
    async waitForWaiter(pid: number) {
      for (let i = 0; i < 200; i++) {
        const { rows } = await locker.query(
          "select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'",
          [pid],
        );
        if (rows.length > 0) return;
        await sleep(10);
      }
      throw new Error(`backend ${pid} never waited for the lock`);
    },
    async release() {
      await locker.query("rollback");
      await locker.end();
    },
  };
}
