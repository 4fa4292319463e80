/**
 * The session manager and the user table. Sessions are in memory (`MemoryStore`): lost on
 * restart, not shared between processes; pass `@tessera/redis`, `@tessera/postgres`, ... for
 * anything real.
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { createSessions, MemoryStore } from "@tessera/core";

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const sessions = createSessions({
  store: new MemoryStore(),
  idleTimeout: 30 * 60,
  rotation: { interval: seconds("ROTATION_INTERVAL", 300), grace: 30 },
  freshFor: seconds("FRESH_FOR", 10 * 60), // how long a login or step-up allows sensitive actions
  // `npm start` serves plain http on localhost; behind TLS, drop this line.
  cookie: { secure: process.env.COOKIE_SECURE === "1" },
});

// Your user table. Passwords are kept as scrypt hashes, never as typed.
const users = new Map<string, { salt: Buffer; hash: Buffer }>();

export function setPassword(user: string, password: string): void {
  const salt = randomBytes(16);
  users.set(user, { salt, hash: scryptSync(password, salt, 32) });
}

export function passwordMatches(user: unknown, password: unknown): boolean {
  const entry = typeof user === "string" ? users.get(user) : undefined;
  if (!entry || typeof password !== "string") return false;
  return timingSafeEqual(scryptSync(password, entry.salt, 32), entry.hash);
}

setPassword("ada", "correct horse battery staple");
