/**
 * The SQLite floor on one framework (`options.framework`): a hand-rolled session that costs
 * exactly one primary-key SELECT per request through a prepared better-sqlite3 statement (random
 * id in a cookie, one row per session), on a WAL file like the Tessera contender's.
 */
import { defineContender } from "../contender.js";
import { cookieApp, frameworkOf } from "../frameworks.js";
import { newRawSessionId, rawSessionCookie, rawSessionIdOf } from "../raw-session.js";
import { openSqliteFile } from "../sqlite-kit.js";

export default defineContender(async (context) => {
  const framework = frameworkOf(context.options);
  const file = openSqliteFile(`raw-${framework}`);
  file.client.exec(
    "CREATE TABLE IF NOT EXISTS raw_sessions (id text PRIMARY KEY, user_id text NOT NULL, expires_at integer NOT NULL)",
  );
  const select = file.client.prepare<[string], { user_id: string }>(
    "SELECT user_id FROM raw_sessions WHERE id = ?",
  );
  return {
    app: await cookieApp(framework, async (cookie) => {
      const id = rawSessionIdOf(cookie);
      if (!id) return null;
      return select.get(id)?.user_id ?? null;
    }),
    async prepare() {
      const id = newRawSessionId();
      file.client
        .prepare("INSERT INTO raw_sessions (id, user_id, expires_at) VALUES (?, ?, ?)")
        .run(id, context.userId, Date.now() + 3_600_000);
      return {
        setCookie: rawSessionCookie(id),
        userId: context.userId,
        // SQLite has no per-row size function short of the optional dbstat table.
        storedBytes: null,
      };
    },
    close: async () => file.close(),
  };
});
