/**
 * Tessera as a user deploys it on Postgres: `@tessera/express` middleware over
 * `@tessera/postgres` (drizzle on a node-postgres Pool of 10; one primary-key SELECT per
 * request when nothing is due), in the run's own schema.
 */
import { createSessions } from "@tessera/core";
import { tessera } from "@tessera/express";
import { PostgresStore } from "@tessera/postgres";
import { migrate, sessionsTable } from "@tessera/postgres/setup";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";
import { HOT_PATH_ROTATION, tesseraLogin } from "../tessera-kit.js";

export default defineContender(async (context) => {
  const pool = new pg.Pool({ ...context.pg, max: 10 });
  const db = drizzle({ client: pool });
  const table = sessionsTable("tessera_sessions", { schema: context.pgSchema });
  await migrate(db, { table });
  const store = new PostgresStore({ db, table });
  const sessions = createSessions({ store, rotation: HOT_PATH_ROTATION });
  return {
    app: authApp(
      (req) => req.session?.userId ?? null,
      (app) => app.use(tessera(sessions)),
    ),
    prepare: () =>
      tesseraLogin(sessions, context, async (id) => {
        const result = await db.execute<{ bytes: number }>(
          sql`SELECT pg_column_size(t.*) AS bytes FROM ${table} t WHERE id = ${id}`,
        );
        const bytes = result.rows[0]?.bytes;
        return bytes === undefined ? null : { bytes: Number(bytes), how: "pg_column_size(row)" };
      }),
    close: () => pool.end(),
  };
});
