/**
 * Expiry: a record past `expiresAt` is neither returned nor updatable, and its id can be reused.
 * These tests wait on real time (the store's own clock or native expiry).
 */
import { expect, it } from "vitest";
import { makeRecord, uniqueUser } from "../doubles.js";
import { defineSuite, sleep } from "../suite.js";

const DAY = 24 * 60 * 60 * 1000;

/** The `expiry` suite on its own: `expirySuite(name, makeStore, options?)`. */
export const expirySuite = defineSuite("expiry", (t) => {
  it("stops returning a record once its expiresAt has passed", async () => {
    const userId = uniqueUser();
    const record = makeRecord({ userId, expiresAt: Date.now() + 700 });
    const lasting = makeRecord({ userId });
    await t.store.create(record);
    await t.store.create(lasting);
    expect(await t.store.get(record.id)).not.toBeNull();
    await sleep(1200);
    expect(await t.store.get(record.id)).toBeNull();
    expect((await t.store.listByUser(userId)).map((r) => r.id)).toEqual([lasting.id]);
    expect(await t.store.update({ ...record, version: 2, expiresAt: Date.now() + DAY }, 1)).toBe(
      false,
    );
  });

  it("lets a new record take the id of an expired one", async () => {
    const record = makeRecord({ expiresAt: Date.now() + 500 });
    await t.store.create(record);
    await sleep(1000);
    const again = makeRecord({ id: record.id });
    await t.store.create(again);
    expect((await t.store.get(record.id))?.userId).toBe(again.userId);
  });
});
