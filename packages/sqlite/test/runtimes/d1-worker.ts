/** workerd: a Worker whose `SQLiteStore` keeps sessions in the D1 database bound as `DB`. */

import { SQLiteStore } from "@tessera/sqlite";
import { migrate } from "@tessera/sqlite/setup";
import { drizzle } from "drizzle-orm/d1";
import { answer } from "./app.js";

interface D1Database {
  prepare(query: string): { bind(...values: unknown[]): { first(): Promise<unknown> } };
}

let store: SQLiteStore | undefined;

export default {
  fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const db = drizzle(env.DB as never);
    return answer(request, {
      // One store per isolate, as an application keeps it: the table check runs once.
      store: () => (store ??= new SQLiteStore({ db })),
      rawRead: (id) => env.DB.prepare("select * from sessions where id = ?").bind(id).first(),
      migrate: () => migrate(db),
    });
  },
};
