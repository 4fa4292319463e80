import { createSessions, StoreUnavailableError, TesseraConfigError } from "@tessera/core";
import { makeRecord } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/mysql2";
import { afterAll, expect, it } from "vitest";
import { MySQLStore } from "../src/index.js";
import { createTableStatements, migrate, sessionsTable } from "../src/setup.js";
import { describeServer, testPool } from "./support.js";

describeServer(
  "a table that is not what the store needs: a TesseraConfigError naming the fix",
  () => {
    const pool = testPool();
    const statements: string[] = [];
    const db = drizzle({ client: pool, logger: { logQuery: (query) => statements.push(query) } });
    afterAll(async () => {
      await pool.end();
    });

    /** What the first call of a store on table `name` rejects with. */
    const firstUse = (name: string) =>
      new MySQLStore({ db, table: sessionsTable(name) })
        .get("any")
        .catch((error: unknown) => error);

    it("a missing table: run migration 0000 then 0001 (or migrate)", async () => {
      const error = await firstUse("never_made");
      expect(error).toBeInstanceOf(TesseraConfigError);
      expect((error as Error).message).toMatch(/`never_made` does not exist: run migrate\(db\)/);
      expect((error as Error).message).toContain(
        "0000_tessera_sessions.sql, 0001_tessera_dbsc.sql then 0002_tessera_policies.sql",
      );
    });

    it("a table made by migration 0000 alone: run 0001 and 0002, then the same store works", async () => {
      const [createTable] = createTableStatements("older");
      await pool.query(createTable);
      const store = new MySQLStore({ db, table: sessionsTable("older") });
      const sessions = createSessions({ store });
      const error = await sessions.create({ userId: "u" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TesseraConfigError);
      expect((error as Error).message).toBe(
        "MySQLStore: table `" +
          (await currentDatabase()) +
          "`.`older` column `user_id` is NOT NULL but holds NULL for absent values; lacks column `dbsc` (added by migrations/0001_tessera_dbsc.sql); lacks column `policy` (added by migrations/0002_tessera_policies.sql); lacks column `impersonated_by` (added by migrations/0002_tessera_policies.sql); has no revocation epochs table `older_epochs` (made by migrations/0002_tessera_policies.sql): run migrations/0001_tessera_dbsc.sql then migrations/0002_tessera_policies.sql (or migrate(db) from @tessera/mysql/setup)",
      );
      // Fixed while the application runs: the next call checks again, and passes.
      await migrate(db, { table: sessionsTable("older") });
      const { token } = await sessions.create({ userId: "u" });
      expect((await sessions.validate(token)).ok).toBe(true);
    });

    it("checks once: after the first call, no statement but the store's own", async () => {
      await migrate(db, { table: sessionsTable("checked") });
      const store = new MySQLStore({ db, table: sessionsTable("checked") });
      statements.length = 0;
      const record = makeRecord();
      await Promise.all([store.create(record), store.get(record.id), store.listByUser("x")]);
      const checks = statements.filter((sql) => sql.includes("information_schema")).length;
      statements.length = 0;
      expect(await store.get(record.id)).toEqual(record);
      await store.listByUser(record.userId);
      expect(statements.filter((sql) => sql.includes("information_schema"))).toEqual([]);
      // Concurrent first calls shared one check (columns, indexes, the epochs table: three reads).
      expect(checks).toBe(3);
    });

    const wrongColumn = [
      ["a DATETIME without milliseconds", "expires_at", "DATETIME NOT NULL", "datetime(0)"],
      [
        "a TIMESTAMP, shifted by the session's time_zone",
        "created_at",
        "TIMESTAMP(3) NOT NULL",
        "timestamp(3)",
      ],
      ["a case-insensitive VARCHAR user id", "user_id", "VARCHAR(255) NOT NULL", "varchar"],
      [
        "a VARCHAR that strict-mode-less servers truncate",
        "rotation_nonce",
        "VARCHAR(32) NULL",
        "varchar",
      ],
      ["text in a 3-byte charset", "client_ua", "TEXT CHARACTER SET utf8mb3 NULL", "text utf8mb3"],
      ["NOT NULL where the store writes NULL", "client_ip", "TEXT NOT NULL", "NOT NULL"],
    ] as const;
    it.each(wrongColumn)("%s", async (_, column, type, reported) => {
      const name = `wrong_${column}`;
      await migrate(db, { table: sessionsTable(name) });
      await pool.query(`alter table ${name} modify column ${column} ${type}`);
      const error = await firstUse(name);
      expect(error).toBeInstanceOf(TesseraConfigError);
      expect((error as Error).message).toContain(`column \`${column}\` is`);
      expect((error as Error).message).toContain(reported);
      expect((error as Error).message).toContain(
        "recreate it as migrations/0000_tessera_sessions.sql",
      );
    });

    it("a missing index on user_id (list and revoke-all would scan every session)", async () => {
      await migrate(db, { table: sessionsTable("unindexed") });
      await pool.query("alter table unindexed drop index user_id_idx");
      const error = await firstUse("unindexed");
      expect(error).toBeInstanceOf(TesseraConfigError);
      expect((error as Error).message).toContain("column `user_id` has no index");
    });

    it("an outage during the check is StoreUnavailableError, and the check runs again later", async () => {
      const broken = testPool({ port: 1, connectTimeout: 1000 });
      const store = new MySQLStore({ db: drizzle({ client: broken }), table: sessionsTable("x") });
      await expect(store.get("any")).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.get("any")).rejects.toBeInstanceOf(StoreUnavailableError);
      await broken.end().catch(() => {});
    });

    async function currentDatabase(): Promise<string> {
      const [rows] = await pool.query("select database() as db");
      return (rows as { db: string }[])[0]!.db;
    }
  },
);
