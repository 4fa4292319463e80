/**
 * The app's sessions, auto-imported in every server file. Kept in memory here; pass any Tessera
 * store to `createSessions` to keep them across restarts and instances.
 */
import { createSessions, MemoryStore } from "@tessera/core";

export const sessions = createSessions({
  store: new MemoryStore(),
  rotation: { interval: Number(process.env.ROTATION_INTERVAL ?? 300), grace: 30 },
});
