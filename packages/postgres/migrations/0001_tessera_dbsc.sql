-- @tessera/postgres: device-bound session credentials (DBSC) state, one jsonb document per
-- session (null when the browser registered no key). Safe to run more than once; run it after
-- 0000 on a table made by an earlier version. For another name or schema, use createTableSql().

ALTER TABLE "sessions" ADD COLUMN IF NOT EXISTS "dbsc" jsonb;
