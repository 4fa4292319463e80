/**
 * Tessera as a user deploys it: the framework's own integration (`options.framework`:
 * `@tessera/express`, `@tessera/hono` on @hono/node-server, or `@tessera/fastify`) over one of
 * Tessera's stores (`options.store`: `@tessera/redis`, `@tessera/postgres`, `@tessera/dynamodb`),
 * defaults as shipped (binding on). The hot path is one store read when nothing is due.
 * `options.rotateEveryRequest` sets `rotation.interval = 0`: every request rotates the secret
 * (a read, the writes of a rotation) and the client follows the new cookie. `options.rotation`
 * sets another rotation policy; `options.createWithoutUserAgent` creates the session for a
 * client without a User-Agent; `options.tag` keeps the contender's keys apart from the others'.
 * The store's writes are counted (a counter on its write methods; reads are left alone) and
 * reported per run.
 */
import { createSessions, type SessionStore } from "@tessera/core";
import { defineContender, type StoreWrites } from "../contender.js";
import { frameworkOf, tesseraFrameworkApp } from "../frameworks.js";
import { HOT_PATH_ROTATION, tesseraLogin } from "../tessera-kit.js";
import { openStore, storeOf } from "../tessera-stores.js";

const WRITES = ["create", "update", "delete", "deleteByUser"] as const;

/**
 * Counts `store`'s writes, in place: the write methods are wrapped, `get` is not touched. An
 * update whose compare-and-swap lost counts as lost, not written.
 */
function countWrites(store: SessionStore): () => StoreWrites {
  const counts: StoreWrites = { written: 0, lost: 0 };
  for (const method of WRITES) {
    const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const result = await original(...args);
      if (method === "update" && result === false) counts.lost++;
      else counts.written++;
      return result;
    };
  }
  return () => ({ ...counts });
}

export default defineContender(async (context) => {
  const framework = frameworkOf(context.options);
  const rotating = context.options.rotateEveryRequest === true;
  const tag = typeof context.options.tag === "string" ? `_${context.options.tag}` : "";
  const opened = await openStore(
    storeOf(context.options),
    context,
    `tessera_${framework}${rotating ? "_rotating" : ""}${tag}`,
  );
  const writes = countWrites(opened.store);
  const rotation = context.options.rotation as { interval: number; grace: number } | undefined;
  const sessions = createSessions({
    store: opened.store,
    // Every request rotates, or (the hot path) none inside the run: with the default 5-minute
    // interval a session would rotate mid-run, and a load generator that keeps replaying the
    // old cookie after the grace window is exactly what reuse detection revokes.
    rotation: rotation ?? (rotating ? { interval: 0, grace: 30 } : HOT_PATH_ROTATION),
  });
  const client =
    context.options.createWithoutUserAgent === true
      ? { ...context, client: { ip: context.client.ip } }
      : context;
  return {
    app: await tesseraFrameworkApp(framework, sessions),
    prepare: () => tesseraLogin(sessions, client, opened.storedBytes),
    close: opened.close,
    storeWrites: writes,
  };
});
