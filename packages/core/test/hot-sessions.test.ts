/**
 * Rule "hot sessions": many parallel requests on one session (an SPA firing dozens of calls)
 * all succeed when a write is due. One write wins; the others decide again on the fresh record
 * and answer from it without another write or an error. Writes that must all apply (parallel
 * `update`s) all apply. The store here answers after a real delay, as a network store does, so
 * the requests truly overlap.
 */
import { describe, expect, it } from "vitest";
import {
  type ClientInfo,
  createSessions,
  MemoryStore,
  type SessionEvent,
  type SessionStore,
} from "../src/index.js";

const MINUTE = 60_000;
const CHROME =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const HOME: ClientInfo = { ip: "203.0.113.7", userAgent: CHROME };

/** A MemoryStore whose every call takes 0-2 ms, counting writes. */
function slowStore() {
  const inner = new MemoryStore();
  const counts = { get: 0, update: 0, updateWon: 0 };
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
  const store: SessionStore = {
    create: async (record) => {
      await pause();
      return inner.create(record);
    },
    get: async (id) => {
      counts.get++;
      await pause();
      return inner.get(id);
    },
    update: async (record, expected) => {
      counts.update++;
      await pause();
      const won = await inner.update(record, expected);
      if (won) counts.updateWon++;
      return won;
    },
    delete: async (id) => inner.delete(id),
    listByUser: async (userId) => inner.listByUser(userId),
    deleteByUser: async (userId, except) => inner.deleteByUser(userId, except),
  };
  return { store, counts };
}

function setup(intervalSeconds = 5 * 60) {
  const clock = { now: Date.now() };
  const { store, counts } = slowStore();
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    store,
    idleTimeout: 30 * 60,
    absoluteTimeout: 24 * 60 * 60,
    rotation: { interval: intervalSeconds, grace: 30 },
    binding: { ip: "soft", userAgent: "soft" },
    now: () => clock.now,
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { sessions, clock, counts, events };
}

const PARALLEL = 64;

describe("rule hot-sessions: 64 parallel requests on one session", () => {
  it("all succeed with one rotation write when a rotation is due, and get the same token", async () => {
    const { sessions, clock, counts, events } = setup();
    const { token } = await sessions.create({ userId: "u", client: HOME });
    clock.now += 5 * MINUTE;
    counts.updateWon = 0;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => sessions.validate(token, HOME)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    const tokens = new Set(results.map((result) => result.ok && result.token));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(token);
    expect(counts.updateWon).toBe(1);
    expect(events.filter((event) => event.type === "session.rotated")).toHaveLength(1);
  });

  it("all succeed with one write when an idle extension is due", async () => {
    const { sessions, clock, counts, events } = setup(60 * 60);
    const { token, session } = await sessions.create({ userId: "u", client: HOME });
    // Past half the 30-minute idle window; the hourly rotation is not due.
    clock.now += 16 * MINUTE;
    counts.updateWon = 0;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => sessions.validate(token, HOME)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(counts.updateWon).toBe(1);
    expect(events.filter((event) => event.type === "session.rotated")).toHaveLength(0);
    const extended = results.map((result) => result.ok && result.session.expiresAt.getTime());
    expect(Math.min(...(extended as number[]))).toBeGreaterThan(session.expiresAt.getTime());
  });

  it("from a client lacking a User-Agent: all succeed and nothing is written at all", async () => {
    const { sessions, counts, events } = setup();
    const { token } = await sessions.create({ userId: "u", client: HOME });
    counts.update = 0;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => sessions.validate(token, { ip: HOME.ip })),
    );
    expect(results.every((result) => result.ok && !result.session.bindingChanged)).toBe(true);
    expect(counts.update).toBe(0);
    expect(events.filter((event) => event.type === "session.binding_mismatch")).toHaveLength(0);
  });

  it("from a moved client: all succeed, the move is written once and reported once", async () => {
    const { sessions, counts, events } = setup();
    const { token } = await sessions.create({ userId: "u", client: HOME });
    counts.updateWon = 0;
    const moved = { ...HOME, ip: "198.51.100.20" };
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => sessions.validate(token, moved)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(counts.updateWon).toBe(1);
    expect(events.filter((event) => event.type === "session.binding_mismatch")).toHaveLength(1);
    const after = await sessions.validate(token, moved);
    expect(after.ok && after.session.client.ip).toBe("198.51.100.20");
  });
});

describe("rule hot-sessions: writes that must all apply", () => {
  it("applies 20 parallel update(id, d => n + 1) calls: all resolve and n ends at 20", async () => {
    const { sessions } = setup();
    const { session } = await sessions.create({ userId: "u", data: { n: 0 } });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        sessions.update(session.id, (data) => ({ ...data, n: (data.n as number) + 1 })),
      ),
    );
    expect(results.every((result) => result !== null)).toBe(true);
    expect((await sessions.find(session.id))?.data).toEqual({ n: 20 });
  });

  it("applies parallel bind calls: the session ends bound to one of the devices", async () => {
    const { sessions } = setup();
    const { session } = await sessions.create({ userId: "u" });
    const devices = Array.from({ length: 10 }, (_, i) => `device-${i}`);
    const results = await Promise.all(
      devices.map((deviceId) => sessions.bind(session.id, { deviceId })),
    );
    expect(results.every((result) => result !== null)).toBe(true);
    expect(devices).toContain((await sessions.find(session.id))?.client.deviceId);
  });
});
