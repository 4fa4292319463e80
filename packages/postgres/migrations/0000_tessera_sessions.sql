-- @tessera/postgres: the sessions table (default name "sessions").
-- Safe to run more than once. For another name or schema, use createTableSql(name, { schema })
-- from the package, or re-export sessionsTable(...) from your drizzle schema for drizzle-kit.
-- Design: times are timestamptz(3); id, user_id, version and expires_at serve the queries; the
-- user_id index serves list/revoke-all, the expires_at index serves deleteExpired().

CREATE TABLE IF NOT EXISTS "sessions" (
  "expires_at" timestamp(3) with time zone NOT NULL,
  "absolute_expires_at" timestamp(3) with time zone NOT NULL,
  "created_at" timestamp(3) with time zone NOT NULL,
  "authenticated_at" timestamp(3) with time zone NOT NULL,
  "fresh_until" timestamp(3) with time zone NOT NULL,
  "last_active_at" timestamp(3) with time zone NOT NULL,
  "rotated_at" timestamp(3) with time zone NOT NULL,
  "version" integer NOT NULL,
  "id" text PRIMARY KEY NOT NULL,
  "user_id" text NOT NULL,
  "secret_hash" text NOT NULL,
  "previous_secret_hash" text,
  "rotation_nonce" text,
  "retired_secret_hashes" text[] DEFAULT '{}' NOT NULL,
  "data" jsonb DEFAULT '{}'::jsonb NOT NULL,
  "client_ip" text,
  "client_ua" text,
  "client_device_id" text
);

CREATE INDEX IF NOT EXISTS "sessions_user_id_idx" ON "sessions" USING btree ("user_id");

CREATE INDEX IF NOT EXISTS "sessions_expires_at_idx" ON "sessions" USING btree ("expires_at");
