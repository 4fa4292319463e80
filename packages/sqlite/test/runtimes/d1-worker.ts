/** workerd: a Worker whose `SQLiteStore` keeps sessions in the D1 database bound as `DB`. */
import { drizzle } from "drizzle-orm/d1";
import { SQLiteStore } from "../../dist/index.js";
import { migrate } from "../../dist/setup.js";
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
