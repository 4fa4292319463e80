/** Shared by the test files: scratch database files in the run's folder (see global-setup.ts). */
import { join } from "node:path";
import { inject } from "vitest";

const dir = inject("sqliteDir");

/** A fresh path for a database file of this test run. */
export function databasePath(name: string): string {
  return join(dir, `${name}-${Math.random().toString(36).slice(2, 8)}.db`);
}
