/**
 * Measures what a session costs in PostgreSQL: `pg_column_size` of one row as it ages (fresh,
 * after a rotation, with a full ring of retired hashes), the same record as a single jsonb for
 * comparison, and heap + index bytes per row over 10,000 sessions. Run after a build:
 *
 *   node scripts/row-size.mjs        (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 *
 * It works in a schema of its own and drops it at the end.
 */
import { createSessions } from "@tessera/core";
import { PostgresStore } from "@tessera/postgres";
import { migrate, sessionsTable } from "@tessera/postgres/setup";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";

const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const schema = `tessera_row_size_${Date.now().toString(36)}`;
const pool = new pg.Pool({ connectionString: url, max: 4 });
const laptop = {
  ip: "203.0.113.7",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
};

await pool.query(`create schema "${schema}"`);
try {
  const db = drizzle({ client: pool });
  const table = sessionsTable("sessions", { schema });
  const store = new PostgresStore({ db, table });
  await migrate(db, { table });

  let now = Date.now();
  const sessions = createSessions({ store, now: () => now });
  const { session, token } = await sessions.create({
    userId: "user_2f9c1b7e4a",
    data: { role: "member" },
    client: laptop,
  });
  const measure = async (label) => {
    const { rows } = await pool.query(
      `select pg_column_size(s.*) as bytes from "${schema}".sessions s where id = $1`,
      [session.id],
    );
    const { id, userId, version, expiresAt, ...rest } = await store.get(session.id);
    const { rows: alt } = await pool.query(
      "select pg_column_size(row($1::text, $2::text, $3::int, $4::timestamptz, $5::jsonb)) as bytes",
      [id, userId, version, new Date(expiresAt), JSON.stringify(rest)],
    );
    console.log(`${label.padEnd(34)} row ${rows[0].bytes} B   (as one jsonb: ${alt[0].bytes} B)`);
  };
  await measure("fresh login");
  let current = token;
  for (let rotation = 1; rotation <= 5; rotation++) {
    now += 301_000;
    const rotated = await sessions.validate(current, laptop);
    current = rotated.token;
    await sessions.validate(current, laptop); // confirms the rotation
    if (rotation === 1) await measure("after one rotation");
  }
  await measure("after five (ring of retired full)");

  const bulk = createSessions({
    store: new PostgresStore({ db, table: sessionsTable("bulk", { schema }) }),
  });
  await migrate(db, { table: sessionsTable("bulk", { schema }) });
  for (let i = 0; i < 10_000; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        bulk.create({ userId: `user_${(i + j) % 2500}`, data: { role: "member" }, client: laptop }),
      ),
    );
  }
  await pool.query(`vacuum analyze "${schema}".bulk`);
  const { rows } = await pool.query(
    `select pg_relation_size('"${schema}".bulk') as heap, pg_indexes_size('"${schema}".bulk') as indexes`,
  );
  const perRow = (bytes) => Math.round(Number(bytes) / 10_000);
  console.log(
    `10,000 fresh sessions: heap ${perRow(rows[0].heap)} B/row, indexes ${perRow(rows[0].indexes)} B/row, total ${perRow(Number(rows[0].heap) + Number(rows[0].indexes))} B/row`,
  );
} finally {
  await pool.query(`drop schema "${schema}" cascade`);
  await pool.end();
}
