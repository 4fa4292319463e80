-- @tessera/mysql: guest sessions (user_id NULL before login), the policy class of each session
-- (rows from before this migration read 'default'), the admin behind an impersonation session, and
-- the revocation epochs table (scope '' = global, else a user id; epoch in milliseconds). Run it
-- once, after 0001 (migrate() from @tessera/mysql/setup checks first). For another name or
-- database, use createTableStatements().

ALTER TABLE `sessions` MODIFY COLUMN `user_id` VARBINARY(1024) NULL;

ALTER TABLE `sessions` ADD COLUMN `policy` VARBINARY(255) NOT NULL DEFAULT 'default';

ALTER TABLE `sessions` ADD COLUMN `impersonated_by` VARBINARY(1024) NULL;

CREATE TABLE IF NOT EXISTS `sessions_epochs` (
  `scope` VARBINARY(1024) NOT NULL,
  `revoked_before` BIGINT NOT NULL,
  PRIMARY KEY (`scope`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
