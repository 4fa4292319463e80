/**
 * The conformance suite for Tessera session stores. A store package calls
 * `runStoreConformance(name, makeStore)` from one of its vitest files; every test builds its
 * own state (fresh ids and user ids), so stores backed by a shared server need no cleanup.
 */
import {
  createSessions,
  type SessionEvent,
  type SessionRecord,
  type SessionStore,
  type SessionsOptions,
  StoreUnavailableError,
} from "@tessera/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** Names of the suites, for `options.skip`. */
export type ConformanceSuite =
  | "records"
  | "compare-and-swap"
  | "per-user index"
  | "expiry"
  | "lifecycle"
  | "concurrency"
  | "faults";

/** Builds a store for one test; may be async. */
export type StoreFactory = () => SessionStore | Promise<SessionStore>;

/** Options of `runStoreConformance`. */
export interface ConformanceOptions {
  /**
   * Reads what the backend holds for a session id, bypassing the store's own read path (e.g. a
   * raw `GET` or `SELECT`). Used to prove that writes really land and that no secret is stored.
   * Return `null` when nothing is stored.
   * @defaultValue none: the write-through check is left out, and the no-secret check reads
   * through the store itself
   */
  rawRead?: (id: string) => Promise<unknown>;
  /**
   * Called after each test with the store it used (close clients here).
   * @defaultValue none
   */
  teardown?: (store: SessionStore) => void | Promise<void>;
  /**
   * Suites this store cannot run, each with the written reason shown in the report.
   * @defaultValue none: every suite runs
   */
  skip?: Partial<Record<ConformanceSuite, string>>;
  /**
   * Milliseconds after which a store call counts as hung in the fault tests.
   * @defaultValue `200`
   */
  hangTimeout?: number;
}

const DAY = 24 * 60 * 60 * 1000;
let counter = 0;

/** A unique id in the shape core uses (24 lowercase base32 characters). */
function uniqueId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let id = "";
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  for (const byte of bytes) id += alphabet[byte & 31];
  return id;
}

function uniqueUser(): string {
  counter += 1;
  return `conformance-user-${Date.now().toString(36)}-${counter}-${uniqueId().slice(0, 6)}`;
}

/** A valid record with sensible values, overridable field by field. */
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: uniqueId(),
    userId: uniqueUser(),
    version: 1,
    secretHash: "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg",
    previousSecretHash: null,
    rotationNonce: null,
    retiredSecretHashes: [],
    data: { role: "member" },
    createdAt: now,
    authenticatedAt: now,
    freshUntil: now + 10 * 60 * 1000,
    lastActiveAt: now,
    rotatedAt: now,
    expiresAt: now + DAY,
    absoluteExpiresAt: now + 30 * DAY,
    client: { ip: "203.0.113.7", ua: "firefox/133/linux" },
    ...overrides,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts store calls by method, passing everything through. */
function countingStore(store: SessionStore) {
  const calls: Record<string, number> = {};
  const counted = {} as SessionStore;
  for (const method of [
    "create",
    "get",
    "update",
    "delete",
    "listByUser",
    "deleteByUser",
  ] as const) {
    (counted as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls[method] = (calls[method] ?? 0) + 1;
      return (store[method] as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return { store: counted, calls };
}

/**
 * Registers the conformance suites for one store implementation under `describe(name)`.
 *
 * @example
 * ```ts
 * // test/conformance.test.ts
 * runStoreConformance("RedisStore", () => new RedisStore({ client, prefix }), {
 *   rawRead: async (id) => client.get(`${prefix}s:{${id}}`),
 * });
 * ```
 */
export function runStoreConformance(
  name: string,
  makeStore: StoreFactory,
  options: ConformanceOptions = {},
): void {
  describe(`${name}: store conformance`, () => {
    let store: SessionStore;

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await options.teardown?.(store);
    });

    const suite = (suiteName: ConformanceSuite, body: () => void) => {
      const reason = options.skip?.[suiteName];
      if (reason) {
        describe.skip(`${suiteName} (skipped by the store: ${reason})`, body);
      } else {
        describe(suiteName, body);
      }
    };

    /** A session manager on the store under test, with a controllable clock. */
    const sessionsOn = (overrides: Partial<SessionsOptions> = {}) => {
      const clock = { now: Date.now() };
      const events: SessionEvent[] = [];
      const sessions = createSessions({
        store,
        idleTimeout: 30 * 60,
        absoluteTimeout: 24 * 60 * 60,
        rotation: { interval: 5 * 60, grace: 30 },
        binding: { ip: "soft", userAgent: "soft" },
        onEvent: (event) => {
          events.push(event);
        },
        now: () => clock.now,
        ...overrides,
      });
      return { sessions, clock, events };
    };

    suite("records", () => {
      it("returns a created record unchanged, field for field", async () => {
        const record = makeRecord({
          data: { name: "Zoë 🔐", nested: { list: [1, "two", null], flag: true } },
          retiredSecretHashes: ["a".repeat(43), "b".repeat(43)],
          previousSecretHash: "c".repeat(43),
          rotationNonce: "nonce-value-123",
          client: { ip: "2001:db8::1", ua: "safari/18/ios", deviceId: "device-42" },
        });
        await store.create(record);
        expect(await store.get(record.id)).toEqual(record);
      });

      it("returns null for an id it never stored", async () => {
        expect(await store.get(uniqueId())).toBeNull();
      });

      it("refuses to create a second record with the same id", async () => {
        const record = makeRecord();
        await store.create(record);
        await expect(store.create({ ...record, userId: uniqueUser() })).rejects.toBeDefined();
        expect((await store.get(record.id))?.userId).toBe(record.userId);
      });

      it("deletes a record, and deleting a missing one is not an error", async () => {
        const record = makeRecord();
        await store.create(record);
        await store.delete(record.id);
        expect(await store.get(record.id)).toBeNull();
        await expect(store.delete(record.id)).resolves.toBeUndefined();
      });

      if (options.rawRead) {
        it("writes through to the backend (raw reader sees create and delete)", async () => {
          const record = makeRecord();
          await store.create(record);
          const raw = await options.rawRead!(record.id);
          expect(raw).not.toBeNull();
          expect(JSON.stringify(raw)).toContain(record.userId);
          await store.delete(record.id);
          expect(await options.rawRead!(record.id)).toBeNull();
        });
      }
    });

    suite("compare-and-swap", () => {
      it("writes when the expected version matches", async () => {
        const record = makeRecord();
        await store.create(record);
        const next = { ...record, version: 2, data: { role: "admin" } };
        expect(await store.update(next, 1)).toBe(true);
        expect(await store.get(record.id)).toEqual(next);
      });

      it("refuses a stale version and leaves the record untouched", async () => {
        const record = makeRecord();
        await store.create(record);
        expect(await store.update({ ...record, version: 2 }, 1)).toBe(true);
        expect(await store.update({ ...record, version: 2, data: { stale: true } }, 1)).toBe(false);
        expect((await store.get(record.id))?.data).toEqual(record.data);
      });

      it("answers false for a record that does not exist, and does not create it", async () => {
        const record = makeRecord();
        expect(await store.update({ ...record, version: 2 }, 1)).toBe(false);
        expect(await store.get(record.id)).toBeNull();
      });

      it("lets exactly one of many concurrent writers with the same version win", async () => {
        const record = makeRecord();
        await store.create(record);
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            store.update({ ...record, version: 2, data: { writer: i } }, 1),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.get(record.id))?.data).toEqual({ writer: winner });
      });

      it("moves the native expiry with the record", async () => {
        const record = makeRecord({ expiresAt: Date.now() + 800 });
        await store.create(record);
        expect(
          await store.update({ ...record, version: 2, expiresAt: Date.now() + 60_000 }, 1),
        ).toBe(true);
        await sleep(1200);
        expect((await store.get(record.id))?.version).toBe(2);
      });
    });

    suite("per-user index", () => {
      it("lists exactly the user's records", async () => {
        const userId = uniqueUser();
        const mine = [makeRecord({ userId }), makeRecord({ userId }), makeRecord({ userId })];
        const theirs = makeRecord();
        for (const record of [...mine, theirs]) await store.create(record);
        const listed = await store.listByUser(userId);
        expect(listed.map((r) => r.id).sort()).toEqual(mine.map((r) => r.id).sort());
        expect(await store.listByUser(uniqueUser())).toEqual([]);
      });

      it("keeps one entry per record across updates and drops deleted ones", async () => {
        const userId = uniqueUser();
        const a = makeRecord({ userId });
        const b = makeRecord({ userId });
        await store.create(a);
        await store.create(b);
        await store.update({ ...a, version: 2 }, 1);
        await store.update({ ...a, version: 3 }, 2);
        await store.delete(b.id);
        const listed = await store.listByUser(userId);
        expect(listed.map((r) => [r.id, r.version])).toEqual([[a.id, 3]]);
      });

      it("deletes all of a user's records but the excepted one, and counts them", async () => {
        const userId = uniqueUser();
        const keep = makeRecord({ userId });
        const drop = [makeRecord({ userId }), makeRecord({ userId })];
        const other = makeRecord();
        for (const record of [keep, ...drop, other]) await store.create(record);
        expect(await store.deleteByUser(userId, keep.id)).toBe(2);
        expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([keep.id]);
        for (const record of drop) expect(await store.get(record.id)).toBeNull();
        expect(await store.get(other.id)).not.toBeNull();
        expect(await store.deleteByUser(userId)).toBe(1);
        expect(await store.listByUser(userId)).toEqual([]);
        expect(await store.deleteByUser(userId)).toBe(0);
      });

      it("handles a user with many sessions", async () => {
        const userId = uniqueUser();
        const records = Array.from({ length: 120 }, () => makeRecord({ userId }));
        await Promise.all(records.map((record) => store.create(record)));
        expect(await store.listByUser(userId)).toHaveLength(120);
        expect(await store.deleteByUser(userId, records[0]!.id)).toBe(119);
        expect(await store.listByUser(userId)).toHaveLength(1);
      });
    });

    suite("expiry", () => {
      it("stops returning a record once its expiresAt has passed", async () => {
        const userId = uniqueUser();
        const record = makeRecord({ userId, expiresAt: Date.now() + 700 });
        const lasting = makeRecord({ userId });
        await store.create(record);
        await store.create(lasting);
        expect(await store.get(record.id)).not.toBeNull();
        await sleep(1200);
        expect(await store.get(record.id)).toBeNull();
        expect((await store.listByUser(userId)).map((r) => r.id)).toEqual([lasting.id]);
        expect(await store.update({ ...record, version: 2, expiresAt: Date.now() + DAY }, 1)).toBe(
          false,
        );
      });

      it("lets a new record take the id of an expired one", async () => {
        const record = makeRecord({ expiresAt: Date.now() + 500 });
        await store.create(record);
        await sleep(1000);
        const again = makeRecord({ id: record.id });
        await store.create(again);
        expect((await store.get(record.id))?.userId).toBe(again.userId);
      });
    });

    suite("lifecycle", () => {
      it("validates with exactly one store read and no write when nothing is due", async () => {
        const counting = countingStore(store);
        const clock = { now: Date.now() };
        const sessions = createSessions({ store: counting.store, now: () => clock.now });
        const { token } = await sessions.create({ userId: uniqueUser() });
        clock.now += 1000;
        for (const key of Object.keys(counting.calls)) delete counting.calls[key];
        const result = await sessions.validate(token);
        expect(result.ok).toBe(true);
        expect(counting.calls).toEqual({ get: 1 });
      });

      it("keeps no secret in the stored record", async () => {
        const { sessions, clock } = sessionsOn();
        const { session, token } = await sessions.create({
          userId: uniqueUser(),
          client: { ip: "198.51.100.4" },
        });
        clock.now += 5 * 60 * 1000;
        const rotated = await sessions.validate(token);
        expect(rotated.ok && rotated.token).toBeTruthy();
        const newToken = (rotated as { token: string }).token;
        const stored = JSON.stringify(
          options.rawRead ? await options.rawRead(session.id) : await store.get(session.id),
        );
        for (const issued of [token, newToken]) {
          const secret = issued.split(".")[1]!;
          expect(stored).not.toContain(secret);
          expect(stored).not.toContain(issued);
        }
      });

      it("refuses a wrong secret that was never issued without revoking the session", async () => {
        const { sessions, events } = sessionsOn();
        const { token } = await sessions.create({ userId: uniqueUser() });
        const forged = `${token.split(".")[0]}.${"a".repeat(32)}`;
        expect(await sessions.validate(forged)).toEqual({ ok: false, reason: "invalid-secret" });
        expect((await sessions.validate(token)).ok).toBe(true);
        expect(events.map((e) => e.type)).toContain("session.invalid_secret");
      });

      it("revokes the session when a retired secret is replayed after the grace window", async () => {
        const { sessions, clock, events } = sessionsOn();
        const { token } = await sessions.create({ userId: uniqueUser() });
        clock.now += 5 * 60 * 1000;
        const rotated = await sessions.validate(token);
        if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
        expect((await sessions.validate(rotated.token)).ok).toBe(true);
        clock.now += 30 * 1000;
        expect(await sessions.validate(token)).toEqual({ ok: false, reason: "reused" });
        expect(events.map((e) => e.type)).toContain("session.reuse_detected");
        expect(await sessions.validate(rotated.token)).toEqual({ ok: false, reason: "not-found" });
      });

      it("re-sends the same new token to the previous secret long after an unconfirmed rotation", async () => {
        const { sessions, clock, events } = sessionsOn();
        const { session, token } = await sessions.create({ userId: uniqueUser() });
        clock.now += 5 * 60 * 1000;
        const rotated = await sessions.validate(token);
        if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
        // The response carrying the new cookie was lost; the client returns much later.
        clock.now += 20 * 60 * 1000;
        expect(await sessions.validate(token)).toMatchObject({ ok: true, token: rotated.token });
        expect(events.map((e) => e.type)).not.toContain("session.reuse_detected");
        expect((await store.get(session.id))?.rotationNonce).not.toBeNull();
        // Presenting the new secret confirms it; the old one then has grace, then is reuse.
        expect((await sessions.validate(rotated.token)).ok).toBe(true);
        expect((await store.get(session.id))?.rotationNonce).toBeNull();
        expect(await sessions.validate(token)).toMatchObject({ ok: true, token: null });
        clock.now += 30 * 1000;
        expect(await sessions.validate(token)).toEqual({ ok: false, reason: "reused" });
      });

      it("answers rotate() with the previous secret as stale and leaves the stored record as it is", async () => {
        const { sessions } = sessionsOn();
        const { session, token } = await sessions.create({ userId: uniqueUser() });
        const forced = await sessions.rotate(token);
        if (!forced.ok || !forced.token) throw new Error("expected a new token");
        const before = await store.get(session.id);
        expect(await sessions.rotate(token)).toEqual({ ok: false, reason: "stale" });
        expect(await store.get(session.id)).toEqual(before);
        if (options.rawRead) expect(await options.rawRead(session.id)).not.toBeNull();
      });

      it("keeps the recorded user-agent when a soft binding change comes without one", async () => {
        const { sessions } = sessionsOn();
        const chrome =
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        const { session, token } = await sessions.create({
          userId: uniqueUser(),
          client: { ip: "203.0.113.7", userAgent: chrome },
        });
        const moved = await sessions.validate(token, { ip: "198.51.100.20" });
        expect(moved).toMatchObject({ ok: true, session: { bindingChanged: true } });
        expect((await store.get(session.id))?.client).toEqual({
          ip: "198.51.100.20",
          ua: "chrome/131/macos",
        });
        const again = await sessions.validate(token, { ip: "198.51.100.20", userAgent: chrome });
        expect(again).toMatchObject({ ok: true, session: { bindingChanged: false } });
      });

      it("makes revokeAll visible to another instance sharing the store", async () => {
        const a = sessionsOn();
        const b = sessionsOn();
        const userId = uniqueUser();
        const kept = await a.sessions.create({ userId });
        const gone = [await a.sessions.create({ userId }), await a.sessions.create({ userId })];
        const bystander = await a.sessions.create({ userId: uniqueUser() });
        expect(await b.sessions.revokeAll(userId, { except: kept.session.id })).toBe(2);
        const ended = b.events.find((e) => e.type === "session.revoked");
        expect(ended?.sessionIds?.sort()).toEqual(gone.map((g) => g.session.id).sort());
        for (const { token } of gone) {
          expect(await a.sessions.validate(token)).toEqual({ ok: false, reason: "not-found" });
        }
        expect((await a.sessions.validate(kept.token)).ok).toBe(true);
        expect((await a.sessions.validate(bystander.token)).ok).toBe(true);
        const listed = await b.sessions.list(userId, { current: kept.session.id });
        expect(listed.map((s) => [s.id, s.current])).toEqual([[kept.session.id, true]]);
      });

      it("sees data updates and step-up from any instance on the next validate", async () => {
        const a = sessionsOn();
        const b = sessionsOn({ freshFor: 60 });
        const { session, token } = await a.sessions.create({
          userId: uniqueUser(),
          data: { role: "member" },
        });
        await b.sessions.update(session.id, { role: "admin" });
        b.clock.now += 11 * 60 * 1000; // past the freshFor of the instance that created it
        const seen = await b.sessions.validate(token);
        expect(seen).toMatchObject({
          ok: true,
          session: { data: { role: "admin" }, fresh: false },
        });
        const stepped = await b.sessions.reauthenticate((seen.ok && seen.token) || token);
        if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
        expect(await a.sessions.validate(stepped.token)).toMatchObject({
          ok: true,
          session: { fresh: true },
        });
      });

      it("never makes a copy of the cookie taken before a step-up fresh", async () => {
        const { sessions, clock } = sessionsOn({ freshFor: 60 });
        const { token: copy } = await sessions.create({ userId: uniqueUser() });
        clock.now += 2 * 60 * 1000;
        const stepped = await sessions.reauthenticate(copy);
        if (!stepped.ok || !stepped.token) throw new Error("expected a new token");
        expect(stepped.session.fresh).toBe(true);
        const resent = await sessions.validate(copy);
        expect(resent).toMatchObject({ ok: true, token: stepped.token, session: { fresh: false } });
        expect(await sessions.validate(stepped.token)).toMatchObject({
          ok: true,
          session: { fresh: false },
        });
      });

      it("expires on idle and absolute timeouts, to the millisecond", async () => {
        const { sessions, clock } = sessionsOn({
          idleTimeout: 60,
          absoluteTimeout: 100,
          rotation: { interval: 0, grace: 5 },
        });
        const start = clock.now;
        const first = await sessions.create({ userId: uniqueUser() });
        const second = await sessions.create({ userId: uniqueUser() });
        clock.now = start + 60_000 - 1;
        const alive = await sessions.validate(first.token);
        expect(alive.ok).toBe(true);
        clock.now = start + 60_000;
        expect(await sessions.validate(second.token)).toEqual({ ok: false, reason: "expired" });
        if (!alive.ok || !alive.token) throw new Error("expected a rotated token");
        clock.now = start + 100_000 - 1;
        const late = await sessions.validate(alive.token);
        expect(late.ok).toBe(true);
        if (!late.ok || !late.token) throw new Error("expected a rotated token");
        clock.now = start + 100_000;
        expect(await sessions.validate(late.token)).toEqual({ ok: false, reason: "expired" });
      });
    });

    suite("concurrency", () => {
      it("survives 50 concurrent validates at rotation time: one rotation, no one logged out", async () => {
        const { sessions, clock, events } = sessionsOn();
        const { session, token } = await sessions.create({ userId: uniqueUser() });
        clock.now += 5 * 60 * 1000;
        const results = await Promise.all(
          Array.from({ length: 50 }, () => sessions.validate(token)),
        );
        expect(results.every((r) => r.ok)).toBe(true);
        const tokens = new Set(results.map((r) => (r.ok ? r.token : "refused")));
        expect(tokens.size).toBe(1);
        const [newToken] = tokens;
        expect(newToken).not.toBeNull();
        expect(newToken).not.toBe(token);
        expect(events.filter((e) => e.type === "session.rotated")).toHaveLength(1);
        expect((await store.get(session.id))?.version).toBe(2);
        const confirmed = await sessions.validate(newToken!);
        expect(confirmed).toMatchObject({ ok: true });
        // The old secret still works inside the grace window, now without a new token.
        expect(await sessions.validate(token)).toMatchObject({ ok: true, token: null });
      });

      it("keeps every token handed out during a burst of rotations valid", async () => {
        const { sessions, clock } = sessionsOn({ rotation: { interval: 0, grace: 10 } });
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

    suite("faults", () => {
      const failing = (mode: "throw" | "hang"): SessionStore => {
        const fault = () =>
          mode === "throw"
            ? Promise.reject(new Error("connection refused"))
            : new Promise<never>(() => {});
        return {
          create: (record) => (mode === "throw" ? fault() : store.create(record)),
          get: () => fault(),
          update: () => fault(),
          delete: () => fault(),
          listByUser: () => fault(),
          deleteByUser: () => fault(),
        };
      };

      for (const mode of ["throw", "hang"] as const) {
        it(`turns a store that ${mode === "throw" ? "throws" : "hangs"} into StoreUnavailableError, never a session`, async () => {
          const healthy = createSessions({ store });
          const { session, token } = await healthy.create({ userId: uniqueUser() });
          const broken = createSessions({
            store: failing(mode),
            storeTimeout: options.hangTimeout ?? 200,
          });
          await expect(broken.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(broken.revoke(session.id)).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(broken.list(session.userId)).rejects.toBeInstanceOf(StoreUnavailableError);
          // The store itself is untouched and still serves the session.
          expect((await healthy.validate(token)).ok).toBe(true);
        });
      }
    });
  });
}
