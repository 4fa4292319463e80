/**
 * Times the validate hot read, `store.getWithEpochs(id)` (and `store.get(id)`), on one session,
 * 20,000 calls each, next to a raw one-column mysql2 `SELECT` of the same row (the HTTP bench's
 * floor: `pool.query`, text protocol). Prints the client's CPU time per call (this process's
 * user + system time) and wall-clock per call. All run on a one-connection pool, one call at a
 * time, in alternating blocks (see `measure`); the difference in CPU is the store's (and
 * drizzle's and mysql2's per-column) client-side cost of the read.
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
import { createSessions } from "@tessera/core";
import { migrate, sessionsTable } from "@tessera/mysql/setup";
import { drizzle } from "drizzle-orm/mysql2";
import mysql from "mysql2/promise";

const url = process.env.MYSQL_URL || "mysql://root@127.0.0.1:3306";
const runs = Number(process.env.RUNS || 20_000);
const BLOCKS = 20;
const { MySQLStore } = await import(process.env.STORE_MODULE || "@tessera/mysql");
const compared = process.env.COMPARE_MODULE
  ? (await import(process.env.COMPARE_MODULE)).MySQLStore
  : undefined;
const database = `tessera_get_bench_${Date.now().toString(36)}`;

/**
 * Times each series in `BLOCKS` blocks of `runs / BLOCKS` calls, the series taking turns block by
 * block (in reverse order every other block), so that a machine busy for a while skews every
 * series alike; prints per series the median and the lowest CPU per call over the blocks, and
 * the median wall-clock per call.
 */
async function measure(series) {
  const size = Math.max(1, Math.floor(runs / BLOCKS));
  const labels = Object.keys(series);
  const cpu = Object.fromEntries(labels.map((label) => [label, []]));
  const wall = Object.fromEntries(labels.map((label) => [label, []]));
  for (const label of labels) for (let i = 0; i < 2_000; i++) await series[label]();
  for (let block = 0; block < BLOCKS; block++) {
    for (const label of block % 2 === 0 ? labels : [...labels].reverse()) {
      const call = series[label];
      const start = process.hrtime.bigint();
      const before = process.cpuUsage();
      for (let i = 0; i < size; i++) await call();
      const used = process.cpuUsage(before);
      wall[label].push(Number(process.hrtime.bigint() - start) / 1000 / size);
      cpu[label].push((used.user + used.system) / size);
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const µs = (value) => value.toFixed(1).padStart(7);
  for (const label of labels) {
    console.log(
      `${label.padEnd(38)} CPU median ${µs(median(cpu[label]))} min ${µs(Math.min(...cpu[label]))} µs/call   wall median ${µs(median(wall[label]))} µs/call`,
    );
  }
  console.log(`(${BLOCKS} blocks of ${size} calls per series)`);
}

const admin = await mysql.createConnection({ uri: url });
await admin.query(`create database \`${database}\``);
const pool = mysql.createPool({ uri: url, database, connectionLimit: 1 });
try {
  const table = sessionsTable("sessions");
  const db = drizzle({ client: pool });
  await migrate(db, { table });
  const store = new MySQLStore({ db, table });
  const other = compared && new compared({ db, table });
  const { session } = await createSessions({ store }).create({
    userId: "bench-user",
    data: { theme: "dark", locale: "en" },
    client: {
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    },
  });
  const id = session.id;
  if ((await store.getWithEpochs(id))?.record.id !== id)
    throw new Error("the store found no session");
  const raw = "select cast(user_id as char) as user_id from sessions where id = ?";
  console.log(`store: ${process.env.STORE_MODULE || "@tessera/mysql"}`);
  if (other) console.log(`compared: ${process.env.COMPARE_MODULE}`);
  const series = {
    "raw mysql2 one-column SELECT": () => pool.query(raw, [id]),
    "MySQLStore.get": () => store.get(id),
    "MySQLStore.getWithEpochs": () => store.getWithEpochs(id),
  };
  if (other) {
    series["compared: MySQLStore.get"] = () => other.get(id);
    series["compared: MySQLStore.getWithEpochs"] = () => other.getWithEpochs(id);
  }
  await measure(series);
} finally {
  await pool.end();
  await admin.query(`drop database \`${database}\``);
  await admin.end();
}
