/**
 * Tessera through core directly (`createSessions` + the request gate in a plain Express
 * middleware) on the in-process MemoryStore: Tessera's own cost with a store that costs nothing.
 * `options.rotateEveryRequest` sets `rotation.interval = 0`: every request rotates the secret
 * and the client must follow the new cookie (the harness does, per connection).
 */
import { createSessions, MemoryStore } from "@tessera/core";
import { defineContender } from "../contender.js";
import { HOT_PATH_ROTATION, recordJsonBytes, tesseraApp, tesseraLogin } from "../tessera-kit.js";

export default defineContender(async (context) => {
  const store = new MemoryStore();
  const sessions = createSessions({
    store,
    // Every request rotates, or (the hot path) none inside the run: with the default 5-minute
    // interval a session would rotate mid-run, and a load generator that keeps replaying the
    // old cookie after the grace window is exactly what reuse detection revokes.
    rotation: context.options.rotateEveryRequest ? { interval: 0, grace: 30 } : HOT_PATH_ROTATION,
  });
  return {
    app: tesseraApp(sessions),
    prepare: () => tesseraLogin(sessions, context, (id) => recordJsonBytes(store, id)),
  };
});
