/**
 * Times the validate hot read, `store.getWithEpochs(id)` (and `store.get(id)`), on one session,
 * 20,000 calls each in alternating blocks (see `measure`), on better-sqlite3, next to a raw
 * one-column better-sqlite3 `SELECT` of the same row through a prepared statement (the HTTP
 * bench's floor). Prints the CPU time per call (this process's user + system time: SQLite runs
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
import { createSessions } from "@tessera/core";
import { migrate } from "@tessera/sqlite/setup";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";

const runs = Number(process.env.RUNS || 20_000);
const BLOCKS = 20;
const { SQLiteStore } = await import(process.env.STORE_MODULE || "@tessera/sqlite");
const compared = process.env.COMPARE_MODULE
  ? (await import(process.env.COMPARE_MODULE)).SQLiteStore
  : undefined;
const dir = mkdtempSync(join(tmpdir(), "tessera-get-bench-"));

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

const client = new Database(join(dir, "sessions.db"));
try {
  client.pragma("journal_mode = WAL");
  const db = drizzle({ client });
  await migrate(db);
  const store = new SQLiteStore({ db });
  const other = compared && new compared({ db });
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
  const raw = client.prepare("select user_id from sessions where id = ?");
  console.log(`store: ${process.env.STORE_MODULE || "@tessera/sqlite"}`);
  if (other) console.log(`compared: ${process.env.COMPARE_MODULE}`);
  // The raw read is awaited too, as the store's are.
  const series = {
    "raw better-sqlite3 one-column SELECT": async () => raw.get(id)?.user_id,
    "SQLiteStore.get": () => store.get(id),
    "SQLiteStore.getWithEpochs": () => store.getWithEpochs(id),
  };
  if (other) {
    series["compared: SQLiteStore.get"] = () => other.get(id);
    series["compared: SQLiteStore.getWithEpochs"] = () => other.getWithEpochs(id);
  }
  await measure(series);
} finally {
  client.close();
  rmSync(dir, { recursive: true, force: true });
}
