/**
 * The security event log: every Tessera event is written to the demo database, and the admin
 * page reads the latest. Rotations are also remembered in memory so a page can say "your token
 * was rotated on this request".
 */
import type { SessionEvent } from "@tessera/core";
import type { AppDatabase } from "./database.js";

/** One logged event, as the admin page shows it. */
export interface LoggedEvent {
  at: Date;
  type: string;
  sessionId: string | null;
  userId: string | null;
  detail: string | null;
  client: string | null;
}

function describeClient(event: SessionEvent): string | null {
  const client = event.client;
  if (!client) return null;
  return [client.browser, client.os, client.ipPrefix].filter(Boolean).join(" · ") || null;
}

/** The event log over the demo database. */
export function createAudit(database: AppDatabase) {
  const lastRotation = new Map<string, number>();
  let pending: Promise<unknown> = Promise.resolve();

  return {
    /** `onEvent` handler for `createSessions`. */
    record(event: SessionEvent): void {
      if (event.type === "session.rotated" && event.sessionId) {
        if (lastRotation.size > 10_000) lastRotation.clear();
        lastRotation.set(event.sessionId, event.at.getTime());
      }
      const detail =
        event.count !== undefined ? `${event.detail ?? ""} (${event.count})` : event.detail;
      pending = pending.then(() =>
        database
          .query(
            "INSERT INTO demo_events (at, type, session_id, user_id, detail, client) VALUES ($1, $2, $3, $4, $5, $6)",
            [
              event.at,
              event.type,
              event.sessionId,
              event.userId,
              detail ?? null,
              describeClient(event),
            ],
          )
          .catch((error: unknown) => console.error("audit log write failed:", error)),
      );
    },

    /** Whether the session's token rotated at or after `since` (ms). */
    rotatedSince(sessionId: string, since: number): boolean {
      return (lastRotation.get(sessionId) ?? 0) >= since;
    },

    /** How many times a session rotated. */
    async rotations(sessionId: string): Promise<number> {
      await pending;
      const { rows } = await database.query<{ count: string | number }>(
        "SELECT count(*) AS count FROM demo_events WHERE session_id = $1 AND type = 'session.rotated'",
        [sessionId],
      );
      return Number(rows[0]?.count ?? 0);
    },

    /** The latest events, newest first; only one user's when `userId` is given. */
    async latest(limit: number, userId?: string): Promise<LoggedEvent[]> {
      await pending;
      const { rows } = await database.query<{
        at: Date | string;
        type: string;
        session_id: string | null;
        user_id: string | null;
        detail: string | null;
        client: string | null;
      }>(
        `SELECT at, type, session_id, user_id, detail, client FROM demo_events
         ${userId ? "WHERE user_id = $2" : ""} ORDER BY id DESC LIMIT $1`,
        userId ? [limit, userId] : [limit],
      );
      return rows.map((row) => ({
        at: new Date(row.at),
        type: row.type,
        sessionId: row.session_id,
        userId: row.user_id,
        detail: row.detail,
        client: row.client,
      }));
    },

    /** Waits until every event so far is written (tests, shutdown). */
    flush: () => pending,
  };
}

/** The event log. */
export type Audit = ReturnType<typeof createAudit>;
