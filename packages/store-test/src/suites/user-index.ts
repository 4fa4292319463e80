/**
 * The per-user index: `listByUser` and `deleteByUser` see exactly a user's records, with
 * `except` and counts, across updates and at a few hundred sessions.
 */
import { expect, it } from "vitest";
import { makeRecord, uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

/** The `per-user index` suite on its own: `userIndexSuite(name, makeStore, options?)`. */
export const userIndexSuite = defineSuite("per-user index", (t) => {
  it("lists exactly the user's records", async () => {
    const userId = uniqueUser();
    const mine = [makeRecord({ userId }), makeRecord({ userId }), makeRecord({ userId })];
    const theirs = makeRecord();
    for (const record of [...mine, theirs]) await t.store.create(record);
    const listed = await t.store.listByUser(userId);
    expect(listed.map((r) => r.id).sort()).toEqual(mine.map((r) => r.id).sort());
    expect(await t.store.listByUser(uniqueUser())).toEqual([]);
  });

  it("keeps one entry per record across updates and drops deleted ones", async () => {
    const userId = uniqueUser();
    const a = makeRecord({ userId });
    const b = makeRecord({ userId });
    await t.store.create(a);
    await t.store.create(b);
    await t.store.update({ ...a, version: 2 }, 1);
    await t.store.update({ ...a, version: 3 }, 2);
    await t.store.delete(b.id);
    const listed = await t.store.listByUser(userId);
    expect(listed.map((r) => [r.id, r.version])).toEqual([[a.id, 3]]);
  });

  it("deletes all of a user's records but the excepted one, and counts them", async () => {
    const userId = uniqueUser();
    const keep = makeRecord({ userId });
    const drop = [makeRecord({ userId }), makeRecord({ userId })];
    const other = makeRecord();
    for (const record of [keep, ...drop, other]) await t.store.create(record);
    expect(await t.store.deleteByUser(userId, keep.id)).toBe(2);
    expect((await t.store.listByUser(userId)).map((r) => r.id)).toEqual([keep.id]);
    for (const record of drop) expect(await t.store.get(record.id)).toBeNull();
    expect(await t.store.get(other.id)).not.toBeNull();
    expect(await t.store.deleteByUser(userId)).toBe(1);
    expect(await t.store.listByUser(userId)).toEqual([]);
    expect(await t.store.deleteByUser(userId)).toBe(0);
  });

  it("handles a user with many sessions", async () => {
    const userId = uniqueUser();
    const records = Array.from({ length: 120 }, () => makeRecord({ userId }));
    await Promise.all(records.map((record) => t.store.create(record)));
    expect(await t.store.listByUser(userId)).toHaveLength(120);
    expect(await t.store.deleteByUser(userId, records[0]!.id)).toBe(119);
    expect(await t.store.listByUser(userId)).toHaveLength(1);
  });
});
