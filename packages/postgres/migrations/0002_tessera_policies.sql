-- @tessera/postgres: guest sessions (user_id NULL before login), the policy class of each session
-- (rows from before this migration read 'default'), the admin behind an impersonation session, and
-- the revocation epochs table (scope '' = global, else a user id; epoch in milliseconds). Safe to
-- run more than once; run it after 0001. For another name or schema, use createTableSql().

ALTER TABLE "sessions" ALTER COLUMN "user_id" DROP NOT NULL;

ALTER TABLE "sessions" ADD COLUMN IF NOT EXISTS "policy" text DEFAULT 'default' NOT NULL;

ALTER TABLE "sessions" ADD COLUMN IF NOT EXISTS "impersonated_by" text;

CREATE TABLE IF NOT EXISTS "sessions_epochs" (
  "scope" text PRIMARY KEY NOT NULL,
  "revoked_before" bigint NOT NULL
);
