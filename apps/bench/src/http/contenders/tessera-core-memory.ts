/**
 * Tessera through core directly (`createSessions` + `readRequestSession` in a plain Express
 * middleware) on the in-process MemoryStore: Tessera's own cost with a store that costs nothing.
 * `options.rotateEveryRequest` sets `rotation.interval = 0`: every request rotates the secret
 * and the client must follow the new cookie (the harness does, per connection).
 */
import { createSessions, MemoryStore } from "@tessera/core";
import { defineContender } from "../contender.js";
import { recordJsonBytes, tesseraApp, tesseraLogin } from "../tessera-kit.js";

export default defineContender(async (context) => {
  const store = new MemoryStore();
  const sessions = createSessions({
    store,
    ...(context.options.rotateEveryRequest ? { rotation: { interval: 0, grace: 30 } } : {}),
  });
  return {
    app: tesseraApp(sessions),
    prepare: () => tesseraLogin(sessions, context, (id) => recordJsonBytes(store, id)),
  };
});
