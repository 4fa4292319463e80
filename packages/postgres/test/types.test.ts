import type { PGlite } from "@electric-sql/pglite";
import type { SessionRecord } from "@tessera/core/store";
import { drizzle as nodePg } from "drizzle-orm/node-postgres";
import { pgTable, text } from "drizzle-orm/pg-core";
import { drizzle as pglite } from "drizzle-orm/pglite";
import { drizzle as postgresJs } from "drizzle-orm/postgres-js";
import pg from "pg";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { AT, RECORD_COLUMNS, type RowMapping, toRecord } from "../src/codec.js";
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

describe("the hand-written row mapping of the hot read", () => {
  it("must name every field of the record: a new field does not compile until it is mapped", () => {
    // `toRecord` builds a `SessionRecord` literal field by field. Had the record one field more,
    // that literal would lack it and `toRecord` would not compile; the same holds here for a
    // record type with one field more, which is what tsc checks (`pnpm typecheck`).
    // @ts-expect-error `toRecord` does not map a field the record does not have yet.
    const widened: RowMapping<SessionRecord & { addedLater: string }> = toRecord;
    const exact: RowMapping<SessionRecord> = toRecord;
    expect(widened).toBe(exact);
    // And every column the mapping reads is selected, in the selection's order.
    expect(Object.keys(AT)).toEqual(RECORD_COLUMNS);
    expect(Object.values(AT)).toEqual(RECORD_COLUMNS.map((_, index) => index));
  });
});
