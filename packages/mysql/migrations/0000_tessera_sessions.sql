-- @tessera/mysql: the sessions table (default name "sessions"), for MySQL 8 and MariaDB.
-- Safe to run more than once. For another name or database, use createTableSql(name, { database })
-- from the package, or re-export sessionsTable(...) from your drizzle schema for drizzle-kit.
-- Design: times are DATETIME(3) in UTC; id and user_id are VARBINARY (compared byte for byte,
-- whatever the server's collations); the user_id index serves list/revoke-all, the expires_at
-- index serves purgeExpired().

CREATE TABLE IF NOT EXISTS `sessions` (
  `id` VARBINARY(255) NOT NULL,
  `user_id` VARBINARY(1024) NOT NULL,
  `version` INT NOT NULL,
  `expires_at` DATETIME(3) NOT NULL,
  `absolute_expires_at` DATETIME(3) NOT NULL,
  `created_at` DATETIME(3) NOT NULL,
  `authenticated_at` DATETIME(3) NOT NULL,
  `fresh_until` DATETIME(3) NOT NULL,
  `last_active_at` DATETIME(3) NOT NULL,
  `rotated_at` DATETIME(3) NOT NULL,
  `secret_hash` TEXT NOT NULL,
  `previous_secret_hash` TEXT NULL,
  `rotation_nonce` TEXT NULL,
  `retired_secret_hashes` JSON NOT NULL,
  `data` JSON NOT NULL,
  `client_ip` TEXT NULL,
  `client_ua` TEXT NULL,
  `client_device_id` TEXT NULL,
  PRIMARY KEY (`id`),
  KEY `user_id_idx` (`user_id`),
  KEY `expires_at_idx` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
