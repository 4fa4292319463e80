-- The Tessera sessions table for SQLite, round 3: guest sessions (user_id NULL before login), the
-- policy class of each session (rows from before it read 'default'), the admin behind an
-- impersonation session, and the revocation epochs table (scope '' = global, else a user id; epoch
-- in milliseconds). Run it once, after 0000, on the default table "sessions": `migrate(db)` from
-- @tessera/sqlite/setup does the same by itself. SQLite cannot drop a NOT NULL, so the table is
-- rebuilt with its rows (new table, copy, drop, rename), then its indexes are made again; wrap the
-- file in one transaction if your tool does not (wrangler d1 migrations does).
ALTER TABLE "sessions" ADD COLUMN "policy" text NOT NULL DEFAULT 'default';

ALTER TABLE "sessions" ADD COLUMN "impersonated_by" text;

DROP TABLE IF EXISTS "sessions__tessera_rebuild";

CREATE TABLE "sessions__tessera_rebuild" (
  "id" text PRIMARY KEY NOT NULL,
  "user_id" text,
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
  "dbsc" text,
  "policy" text NOT NULL DEFAULT 'default',
  "impersonated_by" text
);

INSERT INTO "sessions__tessera_rebuild" ("id", "user_id", "version", "secret_hash", "previous_secret_hash", "rotation_nonce", "retired_secret_hashes", "data", "created_at", "authenticated_at", "fresh_until", "last_active_at", "rotated_at", "expires_at", "absolute_expires_at", "client_ip", "client_ua", "client_device_id", "dbsc", "policy", "impersonated_by") SELECT "id", "user_id", "version", "secret_hash", "previous_secret_hash", "rotation_nonce", "retired_secret_hashes", "data", "created_at", "authenticated_at", "fresh_until", "last_active_at", "rotated_at", "expires_at", "absolute_expires_at", "client_ip", "client_ua", "client_device_id", "dbsc", "policy", "impersonated_by" FROM "sessions";

DROP TABLE "sessions";

ALTER TABLE "sessions__tessera_rebuild" RENAME TO "sessions";

CREATE INDEX IF NOT EXISTS "sessions_user_id_idx" ON "sessions" ("user_id");

CREATE INDEX IF NOT EXISTS "sessions_expires_at_idx" ON "sessions" ("expires_at");

CREATE TABLE IF NOT EXISTS "sessions_epochs" (
  "scope" text PRIMARY KEY NOT NULL,
  "revoked_before" integer NOT NULL
);
