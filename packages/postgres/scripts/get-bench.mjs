/**
 * Times the validate hot read, `store.get(id)` and `getWithEpochs`, on one session, against the
 * real PostgreSQL server on a one-connection pool, next to a raw node-postgres `SELECT *` of the
 * same row (the timing loop is `tooling/test-kit/src/get-bench.mjs`: CPU per call of this
 * process, and wall-clock; on a busy machine both are mostly the socket and the server).
 *
 * It also times the same store on a node-postgres stand-in ("replay") that answers every
 * statement with the result the real server gave it the first time (captured once, parsed by pg
 * once): what is left is the store's and drizzle's own cost per call (placeholders, the driver
 * wrapper, the row mapping), the figure the hand-written mapping changes.
 *
 *   node scripts/get-bench.mjs     (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
 *                                   RUNS, default 20000; STORE_MODULE, default @tessera/postgres;
 *                                   COMPARE_MODULE: a second build to time next to it)
 *
 * It works in a schema of its own and drops it at the end. Run after a build; compare runs on
 * the same machine only.
 */
import { migrate, sessionsTable } from "@tessera/postgres/setup";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { compareStores, loadStores } from "../../../tooling/test-kit/src/get-bench.mjs";

const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const { Store: PostgresStore, Compared: compared } = await loadStores(
  (module) => import(module),
  "@tessera/postgres",
  "PostgresStore",
);
const schema = `tessera_get_bench_${Date.now().toString(36)}`;
const pool = new pg.Pool({ connectionString: url, max: 1 });

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
  const db = drizzle({ client: pool });
  const replayed = new PostgresStore({ db: drizzle({ client: replaying(pool) }), table });
  const raw = {
    name: "bench_raw_select",
    text: `select * from "${schema}"."sessions" where id = $1 and expires_at > $2`,
  };
  await compareStores({
    name: "PostgresStore",
    store: new PostgresStore({ db, table }),
    compared: compared && new compared({ db, table }),
    raw: [
      "raw node-postgres SELECT *",
      (id) => pool.query({ ...raw, values: [id, new Date().toISOString()] }),
    ],
    extra: {
      "replay: PostgresStore.get": (id) => replayed.get(id),
      "replay: PostgresStore.getWithEpochs": (id) => replayed.getWithEpochs(id),
    },
  });
} finally {
  await pool.query(`drop schema "${schema}" cascade`);
  await pool.end();
}
