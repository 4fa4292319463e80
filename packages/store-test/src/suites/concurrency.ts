/**
 * Concurrency: parallel validates at rotation time produce one rotation and log no one out.
 */
import { expect, it } from "vitest";
import { uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

/** The `concurrency` suite on its own: `concurrencySuite(name, makeStore, options?)`. */
export const concurrencySuite = defineSuite("concurrency", (t) => {
  it("survives 50 concurrent validates at rotation time: one rotation, no one logged out", async () => {
    const { sessions, clock, events } = t.sessionsOn();
    const { session, token } = await sessions.create({ userId: uniqueUser() });
    clock.now += 5 * 60 * 1000;
    const results = await Promise.all(Array.from({ length: 50 }, () => sessions.validate(token)));
    expect(results.every((r) => r.ok)).toBe(true);
    const tokens = new Set(results.map((r) => (r.ok ? r.token : "refused")));
    expect(tokens.size).toBe(1);
    const [newToken] = tokens;
    expect(newToken).not.toBeNull();
    expect(newToken).not.toBe(token);
    expect(events.filter((e) => e.type === "session.rotated")).toHaveLength(1);
    expect((await t.store.get(session.id))?.version).toBe(2);
    const confirmed = await sessions.validate(newToken!);
    expect(confirmed).toMatchObject({ ok: true });
    // The old secret still works inside the grace window, now without a new token.
    expect(await sessions.validate(token)).toMatchObject({ ok: true, token: null });
  });

  it("keeps every token handed out during a burst of rotations valid", async () => {
    const { sessions, clock } = t.sessionsOn({ rotation: { interval: 0, grace: 10 } });
    const { token } = await sessions.create({ userId: uniqueUser() });
    let current = token;
    for (let round = 0; round < 5; round++) {
      clock.now += 100;
      const results = await Promise.all(
        Array.from({ length: 10 }, () => sessions.validate(current)),
      );
      expect(results.every((r) => r.ok)).toBe(true);
      const next = results.find((r) => r.ok && r.token)!;
      current = (next as { token: string }).token;
      for (const r of results) expect((r as { token: string | null }).token).toBe(current);
    }
    expect((await sessions.validate(current)).ok).toBe(true);
  });
});
