/**
 * The stores the scale run can target, by name. Each factory returns a `SessionStore` and a way
 * to read how much memory the sessions take, and cleans up after itself.
 */
import { MemoryStore, type SessionStore } from "@tessera/core";
import { RedisStore } from "@tessera/redis";
import Redis from "ioredis";
import { startThrowawayRedis } from "./services.js";

/** A store under test, with its memory gauge. */
export interface ScaleStore {
  store: SessionStore;
  /** What is measured by `memoryBytes`. */
  memoryHow: string;
  /** Memory currently used by the store (after a GC where that applies). */
  memoryBytes(): Promise<number>;
  close(): Promise<void>;
}

/** Builds a store by name. */
export type ScaleStoreFactory = () => Promise<ScaleStore>;

/** The Redis store as users deploy it, on the bench's private server. */
function createRedisStore(client: Redis, prefix: string): SessionStore {
  return new RedisStore({ client, prefix });
}

/** The factories, by the name given to `--store`. */
export const scaleStores: Record<string, ScaleStoreFactory> = {
  async memory() {
    const store = new MemoryStore();
    return {
      store,
      memoryHow: "V8 heap used after a full GC (process.memoryUsage().heapUsed)",
      async memoryBytes() {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (!gc) throw new Error("run the scale script with node --expose-gc");
        gc();
        gc();
        return process.memoryUsage().heapUsed;
      },
      async close() {},
    };
  },

  async redis() {
    // Millions of keys never go to the machine's shared Redis: a private server on a free port.
    const server = await startThrowawayRedis();
    const client = new Redis(server.url, { enableAutoPipelining: true });
    try {
      const store = createRedisStore(client, "bench:");
      return {
        store,
        memoryHow: `used_memory of INFO memory on a private redis-server (pid ${server.pid})`,
        async memoryBytes() {
          const info = await client.info("memory");
          return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
        },
        async close() {
          client.disconnect();
          await server.stop();
        },
      };
    } catch (error) {
      client.disconnect();
      await server.stop();
      throw error;
    }
  },
};
