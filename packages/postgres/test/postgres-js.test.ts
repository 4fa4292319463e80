import { createSessions, StoreUnavailableError } from "@tessera/core";
import { runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { migrate, sessionsTable } from "../src/setup.js";
import { describeServer, qualified, server } from "./support.js";

describeServer("on a real PostgreSQL server through postgres.js", () => {
  const client = postgres(server?.url ?? "", { max: 4, onnotice: () => {} });
  const db = drizzle({ client });
  const table = sessionsTable("conformance_postgres_js", { schema: server?.schema });

  beforeAll(async () => {
    await migrate(db, { table });
  });
  afterAll(async () => {
    await client.end();
  });

  it("answers StoreUnavailableError when the server is down", async () => {
    // Port 1 on loopback: nothing listens there.
    const down = postgres("postgres://postgres@127.0.0.1:1/test", { connect_timeout: 2, max: 1 });
    const sessions = createSessions({
      store: new PostgresStore({ db: drizzle({ client: down }), table }),
    });
    const failure = await sessions.create({ userId: "outage" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    await down.end();
  });

  runStoreConformance("PostgresStore (postgres.js)", () => new PostgresStore({ db, table }), {
    rawRead: async (id) => {
      const rows = await client.unsafe(
        `select * from ${qualified("conformance_postgres_js")} where id = $1`,
        [id],
      );
      return rows[0] ?? null;
    },
  });
});
