/**
 * Compare-and-swap: `update` writes only over the expected version, never creates, lets exactly
 * one of many concurrent writers win, and moves the native expiry.
 */
import { expect, it } from "vitest";
import { makeRecord } from "../doubles.js";
import { defineSuite, sleep } from "../suite.js";

/** The `compare-and-swap` suite on its own: `compareAndSwapSuite(name, makeStore, options?)`. */
export const compareAndSwapSuite = defineSuite("compare-and-swap", (t) => {
  it("writes when the expected version matches", async () => {
    const record = makeRecord();
    await t.store.create(record);
    const next = { ...record, version: 2, data: { role: "admin" } };
    expect(await t.store.update(next, 1)).toBe(true);
    expect(await t.store.get(record.id)).toEqual(next);
  });

  it("refuses a stale version and leaves the record untouched", async () => {
    const record = makeRecord();
    await t.store.create(record);
    expect(await t.store.update({ ...record, version: 2 }, 1)).toBe(true);
    expect(await t.store.update({ ...record, version: 2, data: { stale: true } }, 1)).toBe(false);
    expect((await t.store.get(record.id))?.data).toEqual(record.data);
  });

  it("answers false for a record that does not exist, and does not create it", async () => {
    const record = makeRecord();
    expect(await t.store.update({ ...record, version: 2 }, 1)).toBe(false);
    expect(await t.store.get(record.id)).toBeNull();
  });

  it("lets exactly one of many concurrent writers with the same version win", async () => {
    const record = makeRecord();
    await t.store.create(record);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.store.update({ ...record, version: 2, data: { writer: i } }, 1),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await t.store.get(record.id))?.data).toEqual({ writer: winner });
  });

  it("moves the native expiry with the record", async () => {
    const record = makeRecord({ expiresAt: Date.now() + 800 });
    await t.store.create(record);
    expect(await t.store.update({ ...record, version: 2, expiresAt: Date.now() + 60_000 }, 1)).toBe(
      true,
    );
    await sleep(1200);
    expect((await t.store.get(record.id))?.version).toBe(2);
  });
});
