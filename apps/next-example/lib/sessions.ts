/** The session manager, shared by proxy.ts and the app. */
import { createSessions } from "@tessera/core";
import { store } from "./store";

function seconds(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const interval = seconds("TESSERA_ROTATION_INTERVAL", 5 * 60);

export const sessions = createSessions({
  store,
  idleTimeout: 30 * 60,
  absoluteTimeout: 24 * 60 * 60,
  rotation: { interval, grace: Math.min(30, interval / 2) },
  freshFor: 10 * 60,
  // `__Host-session`, Secure: browsers accept Secure cookies from http://localhost too.
  cookie: { secure: process.env.TESSERA_COOKIE_SECURE !== "false" },
});
