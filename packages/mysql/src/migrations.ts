/**
 * The package's migrations by name, and the columns each one adds: the schema check names the
 * migration that a table lacks, and `setup.ts` writes each one's SQL.
 */
import type { SessionsTable } from "./schema.js";

type Column = keyof SessionsTable["$inferSelect"];

/** The migration files the package ships, in the order they run. */
export const MIGRATIONS = {
  sessions: "0000_tessera_sessions.sql",
  dbsc: "0001_tessera_dbsc.sql",
  policies: "0002_tessera_policies.sql",
} as const;

/** The migration that adds each column (a column added later gets a migration of its own). */
export const ADDED_BY: Readonly<Record<Column, string>> = {
  id: MIGRATIONS.sessions,
  userId: MIGRATIONS.sessions,
  version: MIGRATIONS.sessions,
  expiresAt: MIGRATIONS.sessions,
  absoluteExpiresAt: MIGRATIONS.sessions,
  createdAt: MIGRATIONS.sessions,
  authenticatedAt: MIGRATIONS.sessions,
  freshUntil: MIGRATIONS.sessions,
  lastActiveAt: MIGRATIONS.sessions,
  rotatedAt: MIGRATIONS.sessions,
  secretHash: MIGRATIONS.sessions,
  previousSecretHash: MIGRATIONS.sessions,
  rotationNonce: MIGRATIONS.sessions,
  retiredSecretHashes: MIGRATIONS.sessions,
  data: MIGRATIONS.sessions,
  clientIp: MIGRATIONS.sessions,
  clientUa: MIGRATIONS.sessions,
  clientDeviceId: MIGRATIONS.sessions,
  dbsc: MIGRATIONS.dbsc,
  policy: MIGRATIONS.policies,
  impersonatedBy: MIGRATIONS.policies,
};
