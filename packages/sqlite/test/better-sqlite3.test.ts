import { runStoreConformance } from "@tessera/store-test";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { afterAll, beforeAll, describe } from "vitest";
import { SQLiteStore } from "../src/index.js";
import { migrate } from "../src/setup.js";
import { databasePath } from "./support.js";

describe("on a better-sqlite3 database file in WAL mode", () => {
  const client = new Database(databasePath("conformance"));
  client.pragma("journal_mode = WAL");
  client.pragma("busy_timeout = 5000");
  const db = drizzle({ client });

  beforeAll(async () => {
    await migrate(db);
  });
  afterAll(() => {
    client.close();
  });

  runStoreConformance("SQLiteStore (better-sqlite3)", () => new SQLiteStore({ db }), {
    rawRead: async (id) => client.prepare("select * from sessions where id = ?").get(id) ?? null,
  });
});
