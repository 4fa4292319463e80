/** What the figures were measured on: the machine, the servers and every package version. */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Redis from "ioredis";
import pg from "pg";
import { PG_CONFIG, REDIS_URL } from "./services.js";

/** The machine and its servers. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  redis: string | null;
  postgres: string | null;
}

/** The machine, as Node sees it, plus the versions of the shared servers (null when down). */
export async function machineInfo(): Promise<MachineInfo> {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()}`,
    redis: await redisVersion(),
    postgres: await postgresVersion(),
  };
}

async function redisVersion(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info("server"))?.[1] ?? null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client(PG_CONFIG);
  try {
    await client.connect();
    return (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!
      .server_version;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The 1-minute load average, rounded (what else ran on the machine). */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

const BENCH_ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Installed versions of apps/bench's dependencies. */
export function packageVersions(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(BENCH_ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const versions: Record<string, string> = {};
  for (const name of Object.keys(manifest.dependencies ?? {}).sort()) {
    const file = join(BENCH_ROOT, "node_modules", name, "package.json");
    if (!existsSync(file)) continue;
    versions[name] = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  }
  return versions;
}
