-- The Tessera sessions table for SQLite (better-sqlite3, libSQL/Turso, D1, bun:sqlite): createTableSql()
-- of @tessera/sqlite/setup. Safe to run more than once: sqlite3 sessions.db < 0000_tessera_sessions.sql
CREATE TABLE IF NOT EXISTS "sessions" (
  "id" text PRIMARY KEY NOT NULL,
  "user_id" text NOT NULL,
  "version" integer NOT NULL,
  "secret_hash" text NOT NULL,
  "previous_secret_hash" text,
  "rotation_nonce" text,
  "retired_secret_hashes" text NOT NULL DEFAULT '[]',
  "data" text NOT NULL DEFAULT '{}',
  "created_at" integer NOT NULL,
  "authenticated_at" integer NOT NULL,
  "fresh_until" integer NOT NULL,
  "last_active_at" integer NOT NULL,
  "rotated_at" integer NOT NULL,
  "expires_at" integer NOT NULL,
  "absolute_expires_at" integer NOT NULL,
  "client_ip" text,
  "client_ua" text,
  "client_device_id" text,
  "dbsc" text
);

CREATE INDEX IF NOT EXISTS "sessions_user_id_idx" ON "sessions" ("user_id");

CREATE INDEX IF NOT EXISTS "sessions_expires_at_idx" ON "sessions" ("expires_at");
