/**
 * One scratch folder for the run's database files, removed when the run ends (test workers are
 * stopped without running their exit handlers, so they cannot clean up themselves).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    sqliteDir: string;
  }
}

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "tessera-sqlite-test-"));
  project.provide("sqliteDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
