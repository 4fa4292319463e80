/**
 * Times the validate hot read, `store.getWithEpochs(id)` (and `store.get(id)`), on one session,
 * 20,000 calls each, next to a raw one-column mysql2 `SELECT` of the same row (the HTTP bench's
 * floor: `pool.query`, text protocol). Prints the client's CPU time per call (this process's
 * user + system time) and wall-clock per call. All run on a one-connection pool, one call at a
 * time, in alternating blocks (`measure` in `tooling/test-kit/src/get-bench.mjs`); the
 * difference in CPU is the store's (and drizzle's and mysql2's per-column) client-side cost of
 * the read.
 *
 * COMPARE_MODULE names a second build of the store (e.g. the previous version's dist) to time in
 * the same blocks on the same session: on a shared machine that comparison is far steadier than
 * two separate runs.
 *
 *   node scripts/get-bench.mjs     (MYSQL_URL, default mysql://root@127.0.0.1:3306;
 *                                   RUNS, default 20000; STORE_MODULE, default @tessera/mysql;
 *                                   COMPARE_MODULE, default none)
 *
 * It works in a database of its own and drops it at the end. Run after a build; compare runs on
 * the same machine only.
 */
import { migrate, sessionsTable } from "@tessera/mysql/setup";
import { drizzle } from "drizzle-orm/mysql2";
import mysql from "mysql2/promise";
import { compareStores, loadStores } from "../../../tooling/test-kit/src/get-bench.mjs";

const url = process.env.MYSQL_URL || "mysql://root@127.0.0.1:3306";
const { Store: MySQLStore, Compared: compared } = await loadStores(
  (module) => import(module),
  "@tessera/mysql",
  "MySQLStore",
);
const database = `tessera_get_bench_${Date.now().toString(36)}`;

const admin = await mysql.createConnection({ uri: url });
await admin.query(`create database \`${database}\``);
const pool = mysql.createPool({ uri: url, database, connectionLimit: 1 });
try {
  const table = sessionsTable("sessions");
  const db = drizzle({ client: pool });
  await migrate(db, { table });
  const raw = "select cast(user_id as char) as user_id from sessions where id = ?";
  await compareStores({
    name: "MySQLStore",
    store: new MySQLStore({ db, table }),
    compared: compared && new compared({ db, table }),
    raw: ["raw mysql2 one-column SELECT", (id) => pool.query(raw, [id])],
  });
} finally {
  await pool.end();
  await admin.query(`drop database \`${database}\``);
  await admin.end();
}
