/**
 * The one file that decides where sessions live. MemoryStore keeps them in this Node process;
 * it is put on `globalThis` because Next.js compiles `proxy.ts` and the app (pages, server
 * actions, route handlers) into separate module graphs: a module-level `new MemoryStore()` would
 * give each graph its own store, while `globalThis` is shared by the whole `next start` process.
 *
 * To run several processes, swap this for a shared store, e.g. with @tessera/redis:
 *   export const store = new RedisStore({ client: new Redis(process.env.REDIS_URL) });
 */
import { MemoryStore, type SessionStore } from "@tessera/core";
import { withTestOutageSwitch } from "./test-only-outage";

const holder = globalThis as { tesseraExampleStore?: SessionStore };

holder.tesseraExampleStore ??= withTestOutageSwitch(new MemoryStore());

export const store: SessionStore = holder.tesseraExampleStore;
