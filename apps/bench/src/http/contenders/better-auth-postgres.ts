/**
 * better-auth on Postgres (its Kysely adapter over a node-postgres Pool, tables made by its own
 * migrations in this run's schema). A user signs up through its API; each request calls
 * `auth.api.getSession` with the request headers. Its cookie cache is off (better-auth's
 * default, set explicitly here): every request is one session lookup (session joined to user).
 * On Express (the default) or on Hono (`options.framework`); the Hono one keeps its tables
 * under names of its own (`hono_user`, ...), as both share the run's schema.
 */
import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { fromNodeHeaders } from "better-auth/node";
import { Hono } from "hono";
import pg from "pg";
import { defineContender } from "../contender.js";
import { authApp } from "../express-kit.js";
import { frameworkOf } from "../frameworks.js";

export default defineContender(async (context) => {
  const framework = frameworkOf(context.options);
  if (framework === "fastify") throw new Error("better-auth runs here on Express or Hono");
  const prefix = framework === "hono" ? "hono_" : "";
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
    session: {
      cookieCache: { enabled: false },
      ...(prefix ? { modelName: `${prefix}session` } : {}),
    },
    ...(prefix
      ? {
          user: { modelName: `${prefix}user` },
          account: { modelName: `${prefix}account` },
          verification: { modelName: `${prefix}verification` },
        }
      : {}),
  });
  await (await getMigrations(auth.options)).runMigrations();
  const login = {
    email: `${prefix}${context.userId}@bench.tessera.test`,
    password: "bench-password-1234",
  };
  await auth.api.signUpEmail({ body: { ...login, name: context.userId } });
  let app: RequestListener;
  if (framework === "hono") {
    const hono = new Hono();
    hono.get("/me", async (c) => {
      const found = await auth.api.getSession({ headers: c.req.raw.headers });
      return found ? c.json({ userId: found.user.id }) : c.json({ error: "unauthenticated" }, 401);
    });
    app = getRequestListener(hono.fetch);
  } else {
    app = authApp(async (req) => {
      const found = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
      return found?.user.id ?? null;
    });
  }
  return {
    app,
    async prepare() {
      const { headers, response } = await auth.api.signInEmail({
        body: login,
        returnHeaders: true,
      });
      const setCookie = headers.getSetCookie().find((c) => c.includes("session_token="));
      if (!setCookie) throw new Error("better-auth signed in without a session cookie");
      const size = await pool.query<{ bytes: number }>(
        `SELECT pg_column_size(t.*) AS bytes FROM "${prefix}session" t WHERE token = $1`,
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
