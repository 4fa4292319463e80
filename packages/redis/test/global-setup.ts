/**
 * Starts the Redis Cluster the cluster tests run against (three masters on free loopback ports)
 * and stops it by PID afterwards. With CI=true a missing redis-server fails the run.
 */
import type { TestProject } from "vitest/node";
import { CI, REDIS_SERVER, redisBinariesPresent, startCluster } from "./servers.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Ports of the cluster's nodes, or the reason there is no cluster. */
    redisCluster: { ports: number[] } | { missing: string };
  }
}

export default async function setup(project: TestProject) {
  if (!redisBinariesPresent()) {
    const missing = `${REDIS_SERVER} is not installed: the Redis Cluster tests cannot run`;
    if (CI) throw new Error(missing);
    console.warn(`\n[@tessera/redis] WARNING: ${missing}; they are skipped.\n`);
    project.provide("redisCluster", { missing });
    return;
  }
  const cluster = await startCluster(3);
  project.provide("redisCluster", { ports: cluster.ports });
  return () => cluster.stop();
}
