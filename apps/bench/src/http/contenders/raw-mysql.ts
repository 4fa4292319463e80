/**
 * The MySQL floor on one framework (`options.framework`): a hand-rolled session that costs
 * exactly one primary-key SELECT per request through a mysql2 Pool of 10 (random id in a cookie,
 * one row per session), on the machine's MariaDB. `pool.query`, as drizzle's mysql2 driver sends
 * it: one text-protocol round trip.
 */
import mysql from "mysql2/promise";
import { defineContender } from "../contender.js";
import { cookieApp, frameworkOf } from "../frameworks.js";
import { newRawSessionId, rawSessionCookie, rawSessionIdOf } from "../raw-session.js";

export default defineContender(async (context) => {
  const pool = mysql.createPool({
    uri: context.mysql.uri,
    database: context.mysql.database,
    connectionLimit: 10,
  });
  const framework = frameworkOf(context.options);
  // A table per framework: contenders start at the same time and must not race to create one.
  const table = `raw_sessions_${framework}`;
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id VARBINARY(64) PRIMARY KEY,
       user_id VARBINARY(255) NOT NULL, expires_at DATETIME(3) NOT NULL) ENGINE=InnoDB`,
  );
  return {
    app: await cookieApp(framework, async (cookie) => {
      const id = rawSessionIdOf(cookie);
      if (!id) return null;
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        `SELECT CAST(user_id AS CHAR) AS user_id FROM ${table} WHERE id = ?`,
        [id],
      );
      return (rows[0]?.user_id as string | undefined) ?? null;
    }),
    async prepare() {
      const id = newRawSessionId();
      await pool.query(
        `INSERT INTO ${table} (id, user_id, expires_at) VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL 1 HOUR)`,
        [id, context.userId],
      );
      return {
        setCookie: rawSessionCookie(id),
        userId: context.userId,
        storedBytes: id.length + context.userId.length + 7,
        storedHow: "sum of column data lengths",
      };
    },
    close: () => pool.end(),
  };
});
