/**
 * Times the validate hot read, `store.get(id)` (and `getWithEpochs` when the store has it), on
 * one session, 20,000 calls in a row, two ways:
 *
 * - "server": against the real PostgreSQL server on a one-connection pool, next to a raw
 *   node-postgres `SELECT *` of the same row. Prints the client's CPU time per call (this
 *   process's user + system time) and wall-clock per call; on a busy machine both are mostly the
 *   socket and the server, so differences of a few µs drown.
 * - "replay": the same store on a node-postgres stand-in that answers every statement with the
 *   result the real server gave it the first time (captured once, parsed by pg once): what is
 *   left is the store's and drizzle's own cost per call (placeholders, the driver wrapper, the
 *   row mapping). This is the figure the hand-written mapping changes.
 *
 *   node scripts/get-bench.mjs     (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
 *                                   RUNS, default 20000; STORE_MODULE, default @tessera/postgres)
 *
 * It works in a schema of its own and drops it at the end. Run after a build; compare runs on
 * the same machine only.
 */
import { createSessions } from "@tessera/core";
import { migrate, sessionsTable } from "@tessera/postgres/setup";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";

const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const runs = Number(process.env.RUNS || 20_000);
const { PostgresStore } = await import(process.env.STORE_MODULE || "@tessera/postgres");
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
    `${label.padEnd(40)} CPU ${client.toFixed(1).padStart(6)} µs/call   wall ${wall.toFixed(1).padStart(7)} µs/call   (${runs} calls)`,
  );
}

/** A node-postgres stand-in answering each statement with its first real result. */
function replaying(real) {
  const answers = new Map();
  return {
    async query(config, values) {
      const key = `${config.rowMode ?? "object"}:${config.text ?? config}`;
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = await real.query(config, values);
        answers.set(key, answer);
      }
      return answer;
    },
  };
}

await pool.query(`create schema "${schema}"`);
try {
  const table = sessionsTable("sessions", { schema });
  await migrate(drizzle({ client: pool }), { table });
  const store = new PostgresStore({ db: drizzle({ client: pool }), table });
  const replayed = new PostgresStore({ db: drizzle({ client: replaying(pool) }), table });
  const { session } = await createSessions({ store }).create({
    userId: "bench-user",
    data: { theme: "dark", locale: "en" },
    client: {
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    },
  });
  const id = session.id;
  if ((await replayed.get(id))?.id !== id) throw new Error("the replayed read found no session");
  const raw = {
    name: "bench_raw_select",
    text: `select * from "${schema}"."sessions" where id = $1 and expires_at > $2`,
  };
  console.log(`store: ${process.env.STORE_MODULE || "@tessera/postgres"}`);
  // Twice, alternating, so that a machine busy for a while skews every series alike.
  for (let round = 1; round <= 2; round++) {
    console.log(`round ${round}`);
    await time("replay: PostgresStore.get", () => replayed.get(id));
    if (typeof replayed.getWithEpochs === "function") {
      await time("replay: PostgresStore.getWithEpochs", () => replayed.getWithEpochs(id));
    }
    await time("server: raw node-postgres SELECT *", () =>
      pool.query({ ...raw, values: [id, new Date().toISOString()] }),
    );
    await time("server: PostgresStore.get", () => store.get(id));
    if (typeof store.getWithEpochs === "function") {
      await time("server: PostgresStore.getWithEpochs", () => store.getWithEpochs(id));
    }
  }
} finally {
  await pool.query(`drop schema "${schema}" cascade`);
  await pool.end();
}
