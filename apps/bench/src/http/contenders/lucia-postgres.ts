/**
 * Lucia v3 with @lucia-auth/adapter-postgresql on a node-postgres Pool, following its guide:
 * validate the session cookie, re-send it when Lucia says the session was extended.
 */
import { NodePostgresAdapter } from "@lucia-auth/adapter-postgresql";
import { Lucia } from "lucia";
import pg from "pg";
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";

export default defineContender(async (context) => {
  const pool = new pg.Pool({ ...context.pg, max: 10 });
  const users = `"${context.pgSchema}".lucia_user`;
  const sessions = `"${context.pgSchema}".lucia_session`;
  await pool.query(`CREATE TABLE IF NOT EXISTS ${users} (id text PRIMARY KEY)`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${sessions} (id text PRIMARY KEY, expires_at timestamptz NOT NULL, user_id text NOT NULL REFERENCES ${users}(id))`,
  );
  await pool.query(`INSERT INTO ${users} (id) VALUES ($1) ON CONFLICT DO NOTHING`, [
    context.userId,
  ]);
  const lucia = new Lucia(new NodePostgresAdapter(pool, { user: users, session: sessions }), {
    sessionCookie: { attributes: { secure: true } },
  });
  return {
    app: authApp(async (req, res) => {
      const sessionId = lucia.readSessionCookie(req.headers.cookie ?? "");
      if (!sessionId) return null;
      const { session, user } = await lucia.validateSession(sessionId);
      if (session?.fresh)
        res.append("Set-Cookie", lucia.createSessionCookie(session.id).serialize());
      if (!session) res.append("Set-Cookie", lucia.createBlankSessionCookie().serialize());
      return user?.id ?? null;
    }),
    async prepare() {
      const session = await lucia.createSession(context.userId, {});
      const size = await pool.query<{ bytes: number }>(
        `SELECT pg_column_size(t.*) AS bytes FROM ${sessions} t WHERE id = $1`,
        [session.id],
      );
      return {
        setCookie: lucia.createSessionCookie(session.id).serialize(),
        userId: context.userId,
        storedBytes: size.rows[0]?.bytes ?? null,
        storedHow: "pg_column_size(row)",
      };
    },
    close: () => pool.end(),
  };
});
