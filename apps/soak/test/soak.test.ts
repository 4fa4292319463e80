/**
 * The CI version of the soak: 60 seconds of every store lane through real HTTP, with restarts, a
 * slow store, refused connections and each store's own failure (a Redis Cluster master killed and
 * its replica promoted, Redis out of memory, the Postgres pool exhausted and a crash
 * mid-transaction, DynamoDB throttling); every figure of the issue must hold.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { LaneFigures, Verdict } from "../src/figures.js";

const here = fileURLToPath(new URL("..", import.meta.url));
const out = `${here}.tmp/ci`;
const missing = [
  ["/usr/bin/redis-server", "redis-server (Debian's redis-server package)"],
  ["/usr/bin/redis-cli", "redis-cli"],
  ["/usr/lib/postgresql", "PostgreSQL's binaries (Debian's postgresql package)"],
  ["/usr/sbin/mariadbd", "mariadbd (Debian's mariadb-server package)"],
  ["/usr/bin/mariadb-install-db", "mariadb-install-db"],
]
  .filter(
    ([path]) =>
      !existsSync(path!) || (path!.endsWith("postgresql") && readdirSync(path!).length === 0),
  )
  .map(([, what]) => what);
if (missing.length > 0) {
  const message = `the soak needs ${missing.join(", ")}`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING the soak: ${message} !!!\n`);
}

describe.skipIf(missing.length > 0)("soak and chaos run (60 s, every store)", () => {
  it("keeps every figure within its bound", async () => {
    // A results file left by an earlier run must not stand in for this one's.
    rmSync(`${out}/results.json`, { force: true });
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ["--import", "tsx", "src/main.ts", "--duration", "60", "--out", out],
        { cwd: here, maxBuffer: 64 * 1024 * 1024 },
        (error) => resolve({ code: error ? (error.code as number) : 0, output }),
      );
      let output = "";
      child.stdout?.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr?.on("data", (chunk) => {
        output += chunk;
      });
    });
    let results: { verdicts: Verdict[]; lanes: LaneFigures[] };
    try {
      results = JSON.parse(readFileSync(`${out}/results.json`, "utf8"));
    } catch (error) {
      throw new Error(
        `the soak wrote no results (exit ${result.code}: ${error}); its output ends:\n${result.output.slice(-4000)}`,
      );
    }
    // Every store's own failure ran, the Cluster failover among them, and was seen by clients.
    const ran = results.lanes.flatMap((lane) =>
      lane.failures.filter((f) => f.runs > 0 && f.requests > 0).map((f) => f.scenario),
    );
    expect(ran.sort()).toEqual([
      "Cluster master killed, replica promoted",
      "DynamoDB throttling",
      "Postgres killed mid-transaction, restarted",
      "Postgres pool exhausted",
      "Redis at maxmemory (noeviction)",
    ]);
    // Every broken figure at once, each with its value and bound.
    const broken = results.verdicts
      .filter((verdict) => !verdict.held)
      .map((verdict) => `${verdict.figure}: ${verdict.value} (bound ${verdict.bound})`);
    expect(broken, "figures that broke their bound").toEqual([]);
    expect(result.code, result.output.slice(-4000)).toBe(0);
  });
});
