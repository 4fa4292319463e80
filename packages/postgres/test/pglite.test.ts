import { PGlite } from "@electric-sql/pglite";
import { runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe } from "vitest";
import { PostgresStore } from "../src/index.js";

describe("on PGlite (embedded, in-process)", () => {
  const client = new PGlite();
  const db = drizzle({ client });

  beforeAll(async () => {
    await new PostgresStore({ db }).migrate();
  });
  afterAll(async () => {
    await client.close();
  });

  runStoreConformance("PostgresStore (PGlite)", () => new PostgresStore({ db }), {
    rawRead: async (id) => {
      const { rows } = await client.query("select * from sessions where id = $1", [id]);
      return rows[0] ?? null;
    },
  });
});
