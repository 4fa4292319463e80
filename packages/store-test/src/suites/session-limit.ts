/**
 * The per-user session limit of a policy class, through core on the store under test: 20
 * parallel logins of one user leave exactly N sessions, with nothing but the six store methods
 * (create, then list the user's sessions, then delete those beyond N by the total order
 * `(createdAt, id)`). What a store must get right for it: a create is visible to the next
 * `listByUser`, and a delete to the next read.
 */
import { isTesseraError, type Session, SessionLimitError } from "@tessera/core";
import { expect, it } from "vitest";
import { uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

const LOGINS = 20;

/** Sessions in the limit's total order: oldest first, by `createdAt`, then id. */
function ordered(sessions: Session[]): string[] {
  return sessions
    .slice()
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
    .map((session) => session.id);
}

/** The `session limit` suite on its own: `sessionLimitSuite(name, makeStore, options?)`. */
export const sessionLimitSuite = defineSuite("session limit", (t) => {
  for (const when of ["evict-oldest", "refuse"] as const) {
    it(`${when}: 20 parallel logins leave exactly 3, the others refused or evicted`, async () => {
      const { sessions, events } = t.sessionsOn({
        policies: { banking: { limit: { perUser: 3, when } } },
        // Correctness under 20 parallel logins, not latency: an emulator (workerd, dynalite) on a
        // busy CI machine may take seconds to answer them all, which is not an outage.
        storeTimeout: 60_000,
      });
      const userId = uniqueUser();
      const results = await Promise.allSettled(
        Array.from({ length: LOGINS }, () => sessions.create({ userId, policy: "banking" })),
      );
      const accepted = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      for (const result of results) {
        if (result.status === "fulfilled") continue;
        expect(result.reason).toBeInstanceOf(SessionLimitError);
        expect(isTesseraError(result.reason, "session-limit")).toBe(true);
      }
      const left = (await t.store.listByUser(userId)).map((record) => record.id).sort();
      expect(left).toHaveLength(3);
      // The survivors are logins that succeeded, and the 3 the rule keeps among them: the
      // newest (evict-oldest) or the oldest (refuse) by (createdAt, id).
      const order = ordered(accepted.map(({ session }) => session));
      const kept = when === "evict-oldest" ? order.slice(-3) : order.slice(0, 3);
      expect(left).toEqual(kept.sort());
      // Every session ended by the limit is named in a limit_evicted event, none that lives.
      const evicted = new Set(
        events.filter((e) => e.type === "session.limit_evicted").flatMap((e) => e.sessionIds ?? []),
      );
      expect(evicted.size).toBe(LOGINS - 3);
      for (const id of left) expect(evicted.has(id)).toBe(false);
      for (const { token, session } of accepted) {
        const result = await sessions.validate(token);
        expect(result.ok).toBe(left.includes(session.id));
      }
      // Another class of the same user is not counted against this one.
      const plain = await sessions.create({ userId });
      expect(await sessions.validate(plain.token)).toMatchObject({ ok: true });
      expect(await t.store.listByUser(userId)).toHaveLength(4);
    });
  }

  it("evict-oldest: one login at a time keeps the newest and evicts the oldest, by name", async () => {
    const { sessions, clock, events } = t.sessionsOn({
      policies: { banking: { limit: { perUser: 2, when: "evict-oldest" } } },
    });
    const userId = uniqueUser();
    const first = await sessions.create({ userId, policy: "banking" });
    clock.now += 1000;
    const second = await sessions.create({ userId, policy: "banking" });
    clock.now += 1000;
    const third = await sessions.create({ userId, policy: "banking" });
    expect(await sessions.validate(first.token)).toEqual({ ok: false, reason: "not-found" });
    expect(await sessions.validate(second.token)).toMatchObject({ ok: true });
    expect(await sessions.validate(third.token)).toMatchObject({ ok: true });
    expect(events.filter((e) => e.type === "session.limit_evicted")).toEqual([
      expect.objectContaining({ userId, sessionIds: [first.session.id] }),
    ]);
  });
});
