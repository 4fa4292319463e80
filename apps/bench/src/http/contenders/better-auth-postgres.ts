/**
 * better-auth on Postgres (its Kysely adapter over a node-postgres Pool, tables made by its own
 * migrations in this run's schema). A user signs up through its API; each request calls
 * `auth.api.getSession` with the request headers (no cookie cache: one session lookup).
 */
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { fromNodeHeaders } from "better-auth/node";
import pg from "pg";
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";

export default defineContender(async (context) => {
  const pool = new pg.Pool({
    ...context.pg,
    max: 10,
    options: `-c search_path="${context.pgSchema}"`,
  });
  const auth = betterAuth({
    database: pool,
    secret: "bench-only secret of at least thirty-two characters",
    baseURL: "https://bench.tessera.test",
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
  });
  await (await getMigrations(auth.options)).runMigrations();
  const login = { email: `${context.userId}@bench.tessera.test`, password: "bench-password-1234" };
  await auth.api.signUpEmail({ body: { ...login, name: context.userId } });
  return {
    app: authApp(async (req) => {
      const found = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
      return found?.user.id ?? null;
    }),
    async prepare() {
      const { headers, response } = await auth.api.signInEmail({
        body: login,
        returnHeaders: true,
      });
      const setCookie = headers.getSetCookie().find((c) => c.includes("session_token="));
      if (!setCookie) throw new Error("better-auth signed in without a session cookie");
      const size = await pool.query<{ bytes: number }>(
        `SELECT pg_column_size(t.*) AS bytes FROM "session" t WHERE token = $1`,
        [response.token],
      );
      return {
        setCookie,
        userId: response.user.id,
        storedBytes: size.rows[0]?.bytes ?? null,
        storedHow: "pg_column_size(row)",
      };
    },
    close: () => pool.end(),
  };
});
