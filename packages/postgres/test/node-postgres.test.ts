import { runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/node-postgres";
import { afterAll, beforeAll } from "vitest";
import { PostgresStore } from "../src/index.js";
import { migrate, sessionsTable } from "../src/setup.js";
import { describeServer, qualified, server, testPool } from "./support.js";

describeServer("on a real PostgreSQL server through node-postgres", () => {
  const pool = testPool();
  const db = drizzle({ client: pool });
  const table = sessionsTable("conformance_node_pg", { schema: server?.schema });

  beforeAll(async () => {
    await migrate(db, { table });
  });
  afterAll(async () => {
    await pool.end();
  });

  runStoreConformance("PostgresStore (node-postgres)", () => new PostgresStore({ db, table }), {
    rawRead: async (id) => {
      const { rows } = await pool.query(
        `select * from ${qualified("conformance_node_pg")} where id = $1`,
        [id],
      );
      return rows[0] ?? null;
    },
  });
});
