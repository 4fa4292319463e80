/** Shared by the test files: scratch database files, removed when the test process exits. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "tessera-sqlite-test-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** A fresh path for a database file of this test run. */
export function databasePath(name: string): string {
  return join(dir, `${name}-${Math.random().toString(36).slice(2, 8)}.db`);
}
