/** Shared bits of the RedisStore tests. */
import { type Cluster, Redis } from "ioredis";

/** A prefix no other run (or other suite on the shared server) uses. */
export function uniquePrefix(label: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `tessera-test:${label}:${process.pid}-${Date.now().toString(36)}-${random}:`;
}

/** Deletes every key under `prefix` on one node: only this run's own keys, never a flush. */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== "0");
}

/** Absolute expiry of a key in ms (PEXPIRETIME), -1 without expiry, -2 when missing. */
export async function expireTime(client: Redis | Cluster, key: string): Promise<number> {
  return Number(await client.call("PEXPIRETIME", key));
}

/** Calls per command from INFO commandstats, e.g. `{ get: 1, "cluster|slots": 2 }`. */
export async function commandStats(client: Redis): Promise<Record<string, number>> {
  const info = await client.info("commandstats");
  const stats: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    stats[match[1]!] = Number(match[2]);
  }
  return stats;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The master port serving `key`, from CLUSTER KEYSLOT and CLUSTER SLOTS asked of `port`. */
export async function ownerPort(port: number, key: string): Promise<number> {
  const node = new Redis({ host: "127.0.0.1", port });
  try {
    const slot = Number(await node.cluster("KEYSLOT", key));
    const ranges = await node.cluster("SLOTS");
    const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
    if (!master) throw new Error(`slot ${slot} is not served`);
    return master[1];
  } finally {
    await node.quit();
  }
}

/**
 * The data commands each cluster node received while `action` ran, as `[name, calls]` pairs per
 * port (in `ports` order), leaving out admin traffic: the clients' slot refreshes, handshakes and
 * this helper's own INFO / CONFIG.
 */
export async function dataCommandsPerNode(
  ports: number[],
  action: () => Promise<unknown>,
): Promise<[string, number][][]> {
  const nodes = ports.map((port) => new Redis({ host: "127.0.0.1", port }));
  try {
    await Promise.all(nodes.map((node) => node.config("RESETSTAT")));
    await action();
    return await Promise.all(
      nodes.map(async (node) =>
        Object.entries(await commandStats(node)).filter(
          ([name]) => !/^(cluster|info|config|command|ping|client|hello|readonly)/.test(name),
        ),
      ),
    );
  } finally {
    await Promise.all(nodes.map((node) => node.quit()));
  }
}
