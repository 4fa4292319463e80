/**
 * SQLite for the bench: a better-sqlite3 database file of one contender's own, in WAL mode with a
 * busy_timeout (as the @tessera/sqlite README advises), deleted when the contender closes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

/** A fresh database file, and how to close and remove it. */
export function openSqliteFile(tag: string): { client: Database.Database; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tessera-bench-sqlite-${tag}-`));
  const client = new Database(join(dir, "sessions.db"));
  client.pragma("journal_mode = WAL");
  client.pragma("busy_timeout = 5000");
  return {
    client,
    close() {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
