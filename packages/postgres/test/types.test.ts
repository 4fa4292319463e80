import type { PGlite } from "@electric-sql/pglite";
import { drizzle as nodePg } from "drizzle-orm/node-postgres";
import { pgTable, text } from "drizzle-orm/pg-core";
import { drizzle as pglite } from "drizzle-orm/pglite";
import { drizzle as postgresJs } from "drizzle-orm/postgres-js";
import pg from "pg";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { type AnyPgDatabase, PostgresStore } from "../src/index.js";
import { tesseraSessions } from "../src/setup.js";

const users = pgTable("users", { id: text("id").primaryKey() });

describe("PostgresStore accepts the database of every drizzle Postgres driver", () => {
  it("node-postgres, postgres.js and PGlite, with or without the application's schema", () => {
    // Nothing connects here: pools and clients connect lazily, PGlite is never awaited.
    const pool = new pg.Pool();
    const sql = postgres({ max: 1 });
    const databases: AnyPgDatabase[] = [
      nodePg({ client: pool }),
      nodePg({ client: pool, schema: { users, tesseraSessions } }),
      postgresJs({ client: sql }),
      postgresJs({ client: sql, schema: { users } }),
      pglite({ client: new Proxy({}, {}) as PGlite }),
    ];
    for (const db of databases) expect(new PostgresStore({ db })).toBeInstanceOf(PostgresStore);
  });
});
