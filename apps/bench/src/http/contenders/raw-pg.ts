/**
 * The Postgres floor on one framework (`options.framework`): a hand-rolled session that costs
 * exactly one primary-key SELECT per request through a node-postgres Pool of 10 (random id in a
 * cookie, one row per session).
 */
import pg from "pg";
import { defineContender } from "../contender.js";
import { cookieApp, frameworkOf } from "../frameworks.js";
import { newRawSessionId, rawSessionCookie, rawSessionIdOf } from "../raw-session.js";

export default defineContender(async (context) => {
  const pool = new pg.Pool({ ...context.pg, max: 10 });
  const framework = frameworkOf(context.options);
  // A table per framework: contenders start at the same time and must not race to create one.
  const table = `"${context.pgSchema}".raw_sessions_${framework}`;
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, user_id text NOT NULL, expires_at timestamptz NOT NULL)`,
  );
  return {
    app: await cookieApp(framework, async (cookie) => {
      const id = rawSessionIdOf(cookie);
      if (!id) return null;
      const { rows } = await pool.query<{ user_id: string }>(
        `SELECT user_id FROM ${table} WHERE id = $1`,
        [id],
      );
      return rows[0]?.user_id ?? null;
    }),
    async prepare() {
      const id = newRawSessionId();
      await pool.query(
        `INSERT INTO ${table} (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
        [id, context.userId],
      );
      const size = await pool.query<{ bytes: number }>(
        `SELECT pg_column_size(t.*) AS bytes FROM ${table} t WHERE id = $1`,
        [id],
      );
      return {
        setCookie: rawSessionCookie(id),
        userId: context.userId,
        storedBytes: size.rows[0]?.bytes ?? null,
        storedHow: "pg_column_size(row)",
      };
    },
    close: () => pool.end(),
  };
});
