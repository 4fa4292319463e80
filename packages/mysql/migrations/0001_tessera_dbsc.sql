-- @tessera/mysql: device-bound session credentials (DBSC) state, one JSON document per session
-- (NULL when the browser registered no key). Run it once, after 0000 (MySQL has no
-- ADD COLUMN IF NOT EXISTS; migrate() from @tessera/mysql/setup checks first). For another name
-- or database, use createTableStatements().

ALTER TABLE `sessions` ADD COLUMN `dbsc` JSON NULL;
