/**
 * Times the validate hot read: 20,000 sequential `store.get(id)` on one session, against a raw
 * node-postgres `SELECT` of the same row for reference, and (once the store has them)
 * `getWithEpochs`. Run after a build:
 *
 *   node scripts/get-bench.mjs     (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 *
 * It works in a schema of its own and drops it at the end. The figure that matters is the
 * client's CPU time per call (this process's user + system time: driver parsing, drizzle, the
 * row mapping); wall-clock per call is printed too but is mostly the round trip and the
 * server, so on a busy machine it says little. Compare runs on the same machine only.
 */
import { createSessions } from "@tessera/core";
import { PostgresStore } from "@tessera/postgres";
import { migrate, sessionsTable } from "@tessera/postgres/setup";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";

const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const runs = Number(process.env.RUNS || 20_000);
const schema = `tessera_get_bench_${Date.now().toString(36)}`;
const pool = new pg.Pool({ connectionString: url, max: 1 });

async function time(label, call) {
  for (let i = 0; i < 2_000; i++) await call();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) await call();
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - start) / 1000 / runs;
  const client = (used.user + used.system) / runs;
  console.log(
    `${label.padEnd(30)} client CPU ${client.toFixed(1).padStart(5)} µs/call   wall ${wall.toFixed(0).padStart(5)} µs/call   (${runs} calls)`,
  );
}

await pool.query(`create schema "${schema}"`);
try {
  const db = drizzle({ client: pool });
  const table = sessionsTable("sessions", { schema });
  await migrate(db, { table });
  const store = new PostgresStore({ db, table });
  const sessions = createSessions({ store });
  const { session } = await sessions.create({
    userId: "bench-user",
    data: { theme: "dark", locale: "en" },
    client: {
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    },
  });
  const id = session.id;
  const raw = {
    name: "bench_raw_select",
    text: `select * from "${schema}"."sessions" where id = $1 and expires_at > $2`,
  };
  // Alternate the three twice so a machine that is busy for a while skews all of them alike.
  for (let round = 1; round <= 2; round++) {
    console.log(`round ${round}`);
    await time("raw node-postgres SELECT *", () =>
      pool.query({ ...raw, values: [id, new Date().toISOString()] }),
    );
    await time("PostgresStore.get", () => store.get(id));
    if (typeof store.getWithEpochs === "function") {
      await time("PostgresStore.getWithEpochs", () => store.getWithEpochs(id));
    }
  }
} finally {
  await pool.query(`drop schema "${schema}" cascade`);
  await pool.end();
}
