import { createClient } from "@libsql/client";
import { runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/libsql";
import { afterAll, beforeAll, describe } from "vitest";
import { SQLiteStore } from "../src/index.js";
import { migrate } from "../src/setup.js";
import { databasePath } from "./support.js";

for (const where of ["a file", ":memory:"] as const) {
  describe(`on libSQL (@libsql/client, ${where})`, () => {
    const url = where === ":memory:" ? ":memory:" : `file:${databasePath("libsql")}`;
    const client = createClient({ url });
    const db = drizzle({ client });

    beforeAll(async () => {
      if (where !== ":memory:") await client.execute("PRAGMA journal_mode = WAL");
      await migrate(db);
    });
    afterAll(() => {
      client.close();
    });

    runStoreConformance(`SQLiteStore (libSQL, ${where})`, () => new SQLiteStore({ db }), {
      rawRead: async (id) => {
        const { rows } = await client.execute({
          sql: "select * from sessions where id = ?",
          args: [id],
        });
        return rows[0] ?? null;
      },
    });
  });
}
