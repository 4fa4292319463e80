/** Bun: `Bun.serve` on a free loopback port, with `SQLiteStore` on a bun:sqlite file in WAL mode. */
import { Database } from "bun:sqlite";
import { SQLiteStore } from "@tessera/sqlite";
import { migrate } from "@tessera/sqlite/setup";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { answer } from "./app.js";

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): { port: number };
  argv: string[];
};

const client = new Database(Bun.argv[2] ?? ":memory:");
client.exec("PRAGMA journal_mode = WAL");
client.exec("PRAGMA busy_timeout = 5000");
const db = drizzle({ client });
const store = new SQLiteStore({ db });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request) =>
    answer(request, {
      store: () => store,
      // bun:sqlite compiles a query when it is made: only once the table exists.
      rawRead: async (id) => client.query("select * from sessions where id = ?").get(id) ?? null,
      migrate: () => migrate(db),
    }),
});
console.log(`listening on http://127.0.0.1:${server.port}`);
