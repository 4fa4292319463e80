import { mysqlTable, varchar } from "drizzle-orm/mysql-core";
import { drizzle } from "drizzle-orm/mysql2";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { type AnyMySqlDatabase, MySQLStore } from "../src/index.js";
import { tesseraSessions } from "../src/setup.js";

const users = mysqlTable("users", { id: varchar("id", { length: 64 }).primaryKey() });

describe("MySQLStore accepts the database drizzle's mysql2 driver makes", () => {
  it("from a pool or a connection, with or without the application's schema", async () => {
    // Nothing connects here: a pool connects lazily.
    const pool = mysql.createPool({ host: "127.0.0.1", connectionLimit: 1 });
    const databases: AnyMySqlDatabase[] = [
      drizzle({ client: pool }),
      drizzle({ client: pool, schema: { users, tesseraSessions }, mode: "default" }),
      drizzle({ client: pool, schema: { users }, mode: "planetscale" }),
    ];
    for (const db of databases) expect(new MySQLStore({ db })).toBeInstanceOf(MySQLStore);
    await pool.end();
  });
});
