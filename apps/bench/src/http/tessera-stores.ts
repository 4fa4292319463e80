/**
 * Tessera's stores as a contender uses them, by name, each in tables or keys of its own so that
 * contenders started at the same time never share (or race to create) anything: `@tessera/redis`
 * on ioredis, `@tessera/postgres` on drizzle over a node-postgres Pool of 10, `@tessera/mysql` on
 * drizzle over a mysql2 Pool of 10, `@tessera/dynamodb` on the run's dynalite, `@tessera/sqlite`
 * on drizzle over better-sqlite3 (a WAL file of the contender's own). Each comes with how its
 * footprint is measured and how it is closed.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { SessionStore } from "@tessera/core";
import { DynamoDBStore } from "@tessera/dynamodb";
import { createTable } from "@tessera/dynamodb/setup";
import { MySQLStore } from "@tessera/mysql";
import { migrate as migrateMysql, sessionsTable as mysqlSessionsTable } from "@tessera/mysql/setup";
import { PostgresStore } from "@tessera/postgres";
import { migrate, sessionsTable } from "@tessera/postgres/setup";
import { RedisStore } from "@tessera/redis";
import { SQLiteStore } from "@tessera/sqlite";
import { migrate as migrateSqlite } from "@tessera/sqlite/setup";
import { sql } from "drizzle-orm";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzleMysql } from "drizzle-orm/mysql2";
import { drizzle } from "drizzle-orm/node-postgres";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import pg from "pg";
import type { BenchContext } from "./contender.js";
import { dynamoClient, dynamoTableName, itemBytes } from "./dynamodb-kit.js";
import { openSqliteFile } from "./sqlite-kit.js";

/** A store a Tessera contender can run on. */
export type StoreKind = "redis" | "postgres" | "mysql" | "dynamodb" | "sqlite";

/** A store, ready, with its footprint gauge. */
export interface BenchStore {
  store: SessionStore;
  /** Bytes one session takes in the store, and how that was measured. */
  storedBytes(sessionId: string): Promise<{ bytes: number; how: string } | null>;
  close(): Promise<void>;
}

/** The store named in a contender's options. */
export function storeOf(options: Record<string, unknown>): StoreKind {
  const store = options.store;
  if (
    store !== "redis" &&
    store !== "postgres" &&
    store !== "mysql" &&
    store !== "dynamodb" &&
    store !== "sqlite"
  ) {
    throw new Error(`unknown store ${String(store)}`);
  }
  return store;
}

/**
 * Opens `kind` for one contender. `tag` keeps its keys or table apart from the other contenders'
 * (the Express contenders keep the names earlier runs used).
 */
export async function openStore(
  kind: StoreKind,
  context: BenchContext,
  tag: string,
): Promise<BenchStore> {
  if (kind === "redis") {
    const client = new Redis(context.redisUrl);
    const store = new RedisStore({ client, prefix: `${context.redisPrefix}${tag}:` });
    return {
      store,
      storedBytes: async (id) => ({
        bytes: Number(await client.memory("USAGE", store.sessionKey(id), "SAMPLES", 0)),
        how: "Redis MEMORY USAGE",
      }),
      close: async () => void client.disconnect(),
    };
  }
  if (kind === "postgres") {
    const pool = new pg.Pool({ ...context.pg, max: 10 });
    const db = drizzle({ client: pool });
    const table = sessionsTable(tag.replace(/[^a-z0-9_]/g, "_"), { schema: context.pgSchema });
    await migrate(db, { table });
    return {
      store: new PostgresStore({ db, table }),
      async storedBytes(id) {
        const result = await db.execute<{ bytes: number }>(
          sql`SELECT pg_column_size(t.*) AS bytes FROM ${table} t WHERE id = ${id}`,
        );
        const bytes = result.rows[0]?.bytes;
        return bytes === undefined ? null : { bytes: Number(bytes), how: "pg_column_size(row)" };
      },
      close: () => pool.end(),
    };
  }
  if (kind === "mysql") {
    const pool = mysql.createPool({
      uri: context.mysql.uri,
      database: context.mysql.database,
      connectionLimit: 10,
    });
    const db = drizzleMysql({ client: pool });
    const name = tag.replace(/[^a-z0-9_]/g, "_");
    const table = mysqlSessionsTable(name);
    await migrateMysql(db, { table });
    return {
      store: new MySQLStore({ db, table }),
      async storedBytes(id) {
        // InnoDB has no per-row size function: the columns' data, without the row's overhead.
        const [rows] = await pool.query<mysql.RowDataPacket[]>(
          `SELECT length(id) + length(user_id) + 4 + 7 * 7 + length(secret_hash)
             + coalesce(length(previous_secret_hash), 0) + coalesce(length(rotation_nonce), 0)
             + length(retired_secret_hashes) + length(data) + coalesce(length(client_ip), 0)
             + coalesce(length(client_ua), 0) + coalesce(length(client_device_id), 0)
             + coalesce(length(dbsc), 0) AS bytes FROM \`${name}\` WHERE id = ?`,
          [id],
        );
        const bytes = rows[0]?.bytes;
        return bytes === undefined
          ? null
          : { bytes: Number(bytes), how: "sum of column data lengths" };
      },
      close: () => pool.end(),
    };
  }
  if (kind === "sqlite") {
    const file = openSqliteFile(tag.replace(/[^a-z0-9_]/g, "_"));
    const db = drizzleSqlite({ client: file.client });
    await migrateSqlite(db);
    return {
      store: new SQLiteStore({ db }),
      // SQLite has no per-row size function short of the optional dbstat table.
      storedBytes: async () => null,
      close: async () => file.close(),
    };
  }
  const client = dynamoClient(context);
  const tableName = dynamoTableName(context, tag);
  await createTable(client, { tableName, pollInterval: 50 });
  return {
    store: new DynamoDBStore({ client, tableName }),
    async storedBytes(id) {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: `session#${id}` }, sk: { S: `session#${id}` } },
          ConsistentRead: true,
        }),
      );
      return Item ? { bytes: itemBytes(Item), how: "DynamoDB item size (session item)" } : null;
    },
    close: async () => client.destroy(),
  };
}
