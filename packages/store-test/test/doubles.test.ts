/** The shared test doubles behave as the tests that use them assume. */
import { createSessions, MemoryStore, StoreUnavailableError } from "@tessera/core";
import { describe, expect, it } from "vitest";
import {
  countingStore,
  failingStore,
  faultsSuite,
  makeRecord,
  switchableStore,
} from "../src/index.js";

describe("makeRecord", () => {
  it("makes a live record with a fresh id and user each time, overridable field by field", () => {
    const [a, b] = [makeRecord(), makeRecord({ data: { role: "admin" } })];
    expect(a.id).toMatch(/^[a-z2-7]{24}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.userId).not.toBe(b.userId);
    expect(b.data).toEqual({ role: "admin" });
    expect(a.expiresAt).toBeGreaterThan(Date.now());
    expect(a.expiresAt).toBeLessThanOrEqual(a.absoluteExpiresAt);
  });
});

describe("countingStore", () => {
  it("forwards every call and counts it by method until reset", async () => {
    const counted = countingStore(new MemoryStore());
    const record = makeRecord();
    await counted.store.create(record);
    expect(await counted.store.get(record.id)).toEqual(record);
    expect(await counted.store.listByUser(record.userId)).toHaveLength(1);
    expect(counted.calls).toMatchObject({ create: 1, get: 1, listByUser: 1, update: 0 });
    counted.reset();
    expect(Object.values(counted.calls)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("failingStore", () => {
  it("rejects every call like a refused connection, which core reports by its code", async () => {
    const store = failingStore();
    for (const call of [store.get("x"), store.delete("x"), store.deleteByUser("u")]) {
      await expect(call).rejects.toMatchObject({ code: "ECONNREFUSED" });
    }
    const sessions = createSessions({ store });
    const error = await sessions.list("u").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("with 'hang', never settles (core's storeTimeout answers for it)", async () => {
    const sessions = createSessions({ store: failingStore("hang"), storeTimeout: 50 });
    await expect(sessions.list("u")).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe("switchableStore", () => {
  it("goes down, loses every compare-and-swap, and comes back on demand", async () => {
    const lever = switchableStore(new MemoryStore());
    const record = makeRecord();
    await lever.store.create(record);
    lever.set("down");
    await expect(lever.store.get(record.id)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    lever.set("losing-races");
    expect(await lever.store.update({ ...record, version: 2 }, 1)).toBe(false);
    expect((await lever.store.get(record.id))?.version).toBe(1);
    lever.set("up");
    expect(await lever.store.update({ ...record, version: 2 }, 1)).toBe(true);
  });
});

// A suite runs on its own too, e.g. for a store that wants the fault checks only.
faultsSuite("MemoryStore, faults alone", () => new MemoryStore());
