import { conformanceSuites, runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/mysql2";
import type { RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll } from "vitest";
import { MySQLStore } from "../src/index.js";
import { migrate, sessionsTable } from "../src/setup.js";
import { describeServer, testPool } from "./support.js";

describeServer("on a real MariaDB server through mysql2", () => {
  const pool = testPool();
  const db = drizzle({ client: pool });
  const table = sessionsTable("conformance");

  beforeAll(async () => {
    await migrate(db, { table });
  });
  afterAll(async () => {
    await pool.end();
  });

  runStoreConformance("MySQLStore (mysql2)", () => new MySQLStore({ db, table }), {
    rawRead: async (id) => {
      const [rows] = await pool.query<RowDataPacket[]>(
        "select *, cast(user_id as char) as user_id from conformance where id = ?",
        [id],
      );
      return rows[0] ?? null;
    },
  });
});

// mysql2 sets CLIENT_FOUND_ROWS by default, so an UPDATE's affected rows counts the rows it
// matched; without it, only the rows it changed. The compare-and-swap must hold either way.
describeServer("on MariaDB through mysql2 without CLIENT_FOUND_ROWS", () => {
  const pool = testPool({ flags: ["-FOUND_ROWS"] });
  const db = drizzle({ client: pool });
  const table = sessionsTable("conformance_changed_rows");

  beforeAll(async () => {
    await migrate(db, { table });
  });
  afterAll(async () => {
    await pool.end();
  });

  for (const suite of ["compare-and-swap", "concurrency", "lifecycle", "per-user index"] as const) {
    conformanceSuites[suite](
      "MySQLStore (mysql2, -FOUND_ROWS)",
      () => new MySQLStore({ db, table }),
    );
  }
});
