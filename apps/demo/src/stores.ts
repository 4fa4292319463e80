/**
 * The `STORE` switch. Accounts and the event log live in PGlite in `DATA_DIR`, except with
 * `STORE=postgres`, where they move to the same server as the sessions.
 */
import { relative } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SessionStore } from "@tessera/core";
import { DynamoDBStore } from "@tessera/dynamodb";
import { createTable } from "@tessera/dynamodb/setup";
import { PostgresStore } from "@tessera/postgres";
import { migrate } from "@tessera/postgres/setup";
import { RedisStore } from "@tessera/redis";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { Redis } from "ioredis";
import pg from "pg";
import type { DemoConfig } from "./config.js";
import { type AppDatabase, openEmbeddedDatabase, openServerDatabase } from "./database.js";

/** An open session store, the demo's own database, and how to close both. */
export interface OpenedStore {
  store: SessionStore;
  database: AppDatabase;
  /** Human-readable, printed on start and shown on the account page. */
  name: string;
  close(): Promise<void>;
}

/** A URL without its password, for printing. */
function printable(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** Opens what `config.store` names; throws with a clear message when it cannot. */
export async function openStore(config: DemoConfig): Promise<OpenedStore> {
  if (config.store === "postgres") {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    const db = drizzlePg({ client: pool });
    await migrate(db);
    const store = new PostgresStore({ db });
    const database = await openServerDatabase(pool);
    return {
      store,
      database,
      name: `PostgreSQL (${printable(config.databaseUrl)})`,
      close: () => database.close(),
    };
  }

  const embedded = await openEmbeddedDatabase(config.dataDir);
  const nearby = relative(process.cwd(), config.dataDir);
  const folder = nearby && !nearby.startsWith("..") ? nearby : config.dataDir;

  if (config.store === "redis") {
    const client = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    await new Promise<void>((resolve, reject) => {
      client.once("ready", resolve);
      client.once("error", (error) =>
        reject(new Error(`cannot reach Redis at ${printable(config.redisUrl)}: ${error.message}`)),
      );
    });
    client.on("error", (error) => console.error("redis:", error.message));
    return {
      store: new RedisStore({ client, prefix: "tessera-demo:" }),
      database: embedded.database,
      name: `Redis (${printable(config.redisUrl)})`,
      close: async () => {
        client.disconnect();
        await embedded.database.close();
      },
    };
  }

  if (config.store === "dynamodb") {
    const client = new DynamoDBClient({
      ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
    });
    await createTable(client, { tableName: config.dynamodbTable });
    return {
      store: new DynamoDBStore({ client, tableName: config.dynamodbTable }),
      database: embedded.database,
      name: `DynamoDB (table ${config.dynamodbTable}${config.dynamodbEndpoint ? ` at ${config.dynamodbEndpoint}` : ""})`,
      close: async () => {
        client.destroy();
        await embedded.database.close();
      },
    };
  }

  // The default: sessions in the same embedded PGlite database as the accounts.
  const db = drizzlePglite({ client: embedded.pglite });
  await migrate(db);
  const store = new PostgresStore({ db });
  return {
    store,
    database: embedded.database,
    name: `PGlite (embedded, ${folder})`,
    close: () => embedded.database.close(),
  };
}
