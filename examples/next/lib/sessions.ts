/** The session manager, shared by proxy.ts and the app. */
import { createSessions } from "@tessera/core";
import { store } from "./store";

// Rotate every 5 minutes; the end-to-end tests shorten this to 2 seconds through the env.
const interval = Number(process.env.TESSERA_ROTATION_INTERVAL) || 5 * 60;

export const sessions = createSessions({
  store,
  idleTimeout: 30 * 60,
  absoluteTimeout: 24 * 60 * 60,
  rotation: { interval, grace: Math.min(30, interval / 2) },
  freshFor: 10 * 60,
  // The default `__Host-session` cookie is Secure: browsers keep it on HTTPS and on localhost.
});
