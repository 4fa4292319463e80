/**
 * Times the validate hot read, `store.getWithEpochs(id)` (and `store.get(id)`), on one session,
 * 20,000 calls each in alternating blocks (`measure` in `tooling/test-kit/src/get-bench.mjs`),
 * on better-sqlite3, next to a raw one-column better-sqlite3 `SELECT` of the same row through a
 * prepared statement (the HTTP bench's floor). Prints the CPU time per call (this process's user + system time: SQLite runs
 * in the process, so this is all of it) and wall-clock per call. The difference is the store's
 * (and drizzle's) cost of the read.
 *
 * COMPARE_MODULE names a second build of the store (e.g. the previous version's dist) to time in
 * the same blocks on the same session: on a shared machine that comparison is far steadier than
 * two separate runs.
 *
 *   node scripts/get-bench.mjs     (RUNS, default 20000; STORE_MODULE, default @tessera/sqlite;
 *                                   COMPARE_MODULE, default none)
 *
 * It works on a WAL database file in a temporary folder and removes it at the end. Run after a
 * build; compare runs on the same machine only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "@tessera/sqlite/setup";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { compareStores, loadStores } from "../../../tooling/test-kit/src/get-bench.mjs";

const { Store: SQLiteStore, Compared: compared } = await loadStores(
  (module) => import(module),
  "@tessera/sqlite",
  "SQLiteStore",
);
const dir = mkdtempSync(join(tmpdir(), "tessera-get-bench-"));

const client = new Database(join(dir, "sessions.db"));
try {
  client.pragma("journal_mode = WAL");
  const db = drizzle({ client });
  await migrate(db);
  const raw = client.prepare("select user_id from sessions where id = ?");
  await compareStores({
    name: "SQLiteStore",
    store: new SQLiteStore({ db }),
    compared: compared && new compared({ db }),
    // The raw read is awaited too, as the store's are.
    raw: ["raw better-sqlite3 one-column SELECT", async (id) => raw.get(id)?.user_id],
  });
} finally {
  client.close();
  rmSync(dir, { recursive: true, force: true });
}
