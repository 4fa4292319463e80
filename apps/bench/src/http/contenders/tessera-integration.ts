/**
 * Tessera as a user deploys it: the framework's own integration (`options.framework`:
 * `@tessera/express`, `@tessera/hono` on @hono/node-server, or `@tessera/fastify`) over one of
 * Tessera's stores (`options.store`: `@tessera/redis`, `@tessera/postgres`, `@tessera/dynamodb`),
 * defaults as shipped (binding on). The hot path is one store read when nothing is due.
 * `options.rotateEveryRequest` sets `rotation.interval = 0`: every request rotates the secret
 * (a read, the writes of a rotation) and the client follows the new cookie.
 */
import { createSessions } from "@tessera/core";
import { defineContender } from "../contender.js";
import { frameworkOf, tesseraFrameworkApp } from "../frameworks.js";
import { HOT_PATH_ROTATION, tesseraLogin } from "../tessera-kit.js";
import { openStore, storeOf } from "../tessera-stores.js";

export default defineContender(async (context) => {
  const framework = frameworkOf(context.options);
  const rotating = context.options.rotateEveryRequest === true;
  const opened = await openStore(
    storeOf(context.options),
    context,
    `tessera_${framework}${rotating ? "_rotating" : ""}`,
  );
  const sessions = createSessions({
    store: opened.store,
    // Every request rotates, or (the hot path) none inside the run: with the default 5-minute
    // interval a session would rotate mid-run, and a load generator that keeps replaying the
    // old cookie after the grace window is exactly what reuse detection revokes.
    rotation: rotating ? { interval: 0, grace: 30 } : HOT_PATH_ROTATION,
  });
  return {
    app: await tesseraFrameworkApp(framework, sessions),
    prepare: () => tesseraLogin(sessions, context, opened.storedBytes),
    close: opened.close,
  };
});
