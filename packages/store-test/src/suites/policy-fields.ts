/**
 * The record fields of session policies: the policy class name, the impersonating admin, and
 * guest records (`userId: null`), which round-trip like any record but sit in no user index.
 */
import { expect, it } from "vitest";
import { makeRecord, uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

/** The `policy fields` suite on its own: `policyFieldsSuite(name, makeStore, options?)`. */
export const policyFieldsSuite = defineSuite("policy fields", (t) => {
  it("keeps the policy class and the impersonating admin, field for field", async () => {
    const record = makeRecord({ policy: "impersonation", impersonatedBy: uniqueUser("admin") });
    await t.store.create(record);
    expect(await t.store.get(record.id)).toEqual(record);
    const plain = makeRecord({ policy: "remembered" });
    await t.store.create(plain);
    expect(await t.store.get(plain.id)).toEqual(plain);
    const updated = { ...plain, version: 2, policy: "kiosk" };
    expect(await t.store.update(updated, 1)).toBe(true);
    expect(await t.store.get(plain.id)).toEqual(updated);
    expect(await t.store.listByUser(plain.userId)).toEqual([updated]);
  });

  it("creates, reads, updates and deletes a guest record (userId null)", async () => {
    const guest = makeRecord({ userId: null, policy: "guest", data: { cart: ["sku-1"] } });
    await t.store.create(guest);
    expect(await t.store.get(guest.id)).toEqual(guest);
    const updated = { ...guest, version: 2, data: { cart: ["sku-1", "sku-2"] } };
    expect(await t.store.update(updated, 1)).toBe(true);
    expect(await t.store.get(guest.id)).toEqual(updated);
    expect(await t.store.update({ ...updated, version: 3 }, 1)).toBe(false);
    await t.store.delete(guest.id);
    expect(await t.store.get(guest.id)).toBeNull();
  });

  it("keeps guests out of every user index: listByUser and deleteByUser never see them", async () => {
    const userId = uniqueUser();
    const mine = makeRecord({ userId });
    const guest = makeRecord({ userId: null, policy: "guest" });
    await t.store.create(mine);
    await t.store.create(guest);
    expect((await t.store.listByUser(userId)).map((record) => record.id)).toEqual([mine.id]);
    expect(await t.store.deleteByUser(userId)).toBe(1);
    expect(await t.store.get(guest.id)).toEqual(guest);
  });
});
