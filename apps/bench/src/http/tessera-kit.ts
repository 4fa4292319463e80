/**
 * The Tessera side of a contender, shared by every Tessera variant so that a new one (another
 * store, another rotation policy) is a store plus a few lines: a plain Express middleware over
 * the request gate of `@tessera/core/http`, and a login that mints the cookie with
 * `sessions.create` + `sessions.cookie.serialize`.
 */
import type { SessionStore, Sessions } from "@tessera/core";
import { createGate, serializeCookie } from "@tessera/core/http";
import type { Express } from "express";
import type { BenchContext, Credential } from "./contender.js";
import { authApp } from "./express-kit.js";

/**
 * Rotation for the hot-path contenders: once an hour, so no rotation falls inside a bench run
 * (about 9 minutes) and every request measures the one-read path. Rotation's own cost is what
 * the `rotate-every-request` contenders measure.
 */
export const HOT_PATH_ROTATION = { interval: 60 * 60, grace: 30 } as const;

/** An Express app whose `/me` is guarded by Tessera's request gate, without an integration. */
export function tesseraApp(sessions: Sessions): Express {
  const gate = createGate(sessions);
  return authApp(async (req, res) => {
    const headers = req.headers;
    const state = await gate.open({
      method: req.method,
      header: (name) => headers[name] as string | undefined,
      remoteAddress: req.socket.remoteAddress,
    });
    // An outage is never "logged out": answer 503, as the integrations do.
    if (state.refusal) {
      res.status(state.refusal.status);
      throw new Error(state.refusal.body);
    }
    const effects = state.effects();
    for (const cookie of effects?.cookies ?? []) res.append("Set-Cookie", serializeCookie(cookie));
    return state.session?.userId ?? null;
  });
}

/**
 * Logs the bench user in: one `sessions.create` for the load generator's client, the cookie as
 * `sessions.cookie.serialize` writes it, and the stored size from `storedBytes` if given.
 */
export async function tesseraLogin(
  sessions: Sessions,
  context: BenchContext,
  storedBytes?: (sessionId: string) => Promise<{ bytes: number; how: string } | null>,
): Promise<Credential> {
  const { session, token } = await sessions.create({
    userId: context.userId,
    client: context.client,
  });
  const stored = storedBytes ? await storedBytes(session.id) : null;
  return {
    setCookie: sessions.cookie.serialize(token, session.expiresAt),
    userId: context.userId,
    storedBytes: stored?.bytes ?? null,
    ...(stored ? { storedHow: stored.how } : {}),
  };
}

/** Size of a record as JSON, for stores that keep it in-process (no server to ask). */
export async function recordJsonBytes(store: SessionStore, sessionId: string) {
  const record = await store.get(sessionId);
  return record
    ? { bytes: Buffer.byteLength(JSON.stringify(record)), how: "JSON of the record (in-process)" }
    : null;
}
