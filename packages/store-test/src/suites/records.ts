/**
 * Records: a record comes back exactly as written, ids are unique, delete is idempotent, and
 * writes reach the backend.
 */
import { expect, it } from "vitest";
import { makeRecord, uniqueId, uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

/** The `records` suite on its own: `recordsSuite(name, makeStore, options?)`. */
export const recordsSuite = defineSuite("records", (t) => {
  it("returns a created record unchanged, field for field", async () => {
    const record = makeRecord({
      data: {
        name: "Zoë 🔐",
        nested: { list: [1, "two", null], flag: true },
        escapes: 'a "quote", a \\ backslash, a tab\t and a newline\n',
      },
      retiredSecretHashes: ["a".repeat(43), "b".repeat(43)],
      previousSecretHash: "c".repeat(43),
      rotationNonce: "nonce-value-123",
      client: { ip: "2001:db8::1", ua: 'safari/18/ios "quoted" \\ ,{}', deviceId: "device-42" },
    });
    await t.store.create(record);
    expect(await t.store.get(record.id)).toEqual(record);
  });

  it("keeps a device-bound (DBSC) record's key, challenges and bound cookies, and updates them", async () => {
    const now = Date.now();
    const record = makeRecord({
      dbsc: {
        key: {
          alg: "ES256",
          jwk: { kty: "EC", crv: "P-256", x: "x".repeat(43), y: "y".repeat(43) },
          thumbprint: "t".repeat(43),
        },
        challenges: [
          { value: "challenge-new", expiresAt: now + 60_000 },
          { value: "challenge-old", expiresAt: now + 30_000 },
        ],
        spent: ["challenge-spent"],
        cookies: [{ hash: "h".repeat(43), expiresAt: now + 600_000 }],
        registeredAt: now - 1000,
      },
    });
    await t.store.create(record);
    expect(await t.store.get(record.id)).toEqual(record);
    const unbound = { ...record, version: 2, dbsc: null };
    expect(await t.store.update(unbound, 1)).toBe(true);
    expect(await t.store.get(record.id)).toEqual(unbound);
    const offered = {
      ...record,
      version: 3,
      dbsc: { key: null, challenges: [], spent: [], cookies: [], registeredAt: null },
    };
    expect(await t.store.update(offered, 2)).toBe(true);
    expect(await t.store.get(record.id)).toEqual(offered);
    const [listed] = await t.store.listByUser(record.userId);
    expect(listed).toEqual(offered);
  });

  it("returns null for an id it never stored", async () => {
    expect(await t.store.get(uniqueId())).toBeNull();
  });

  it("refuses to create a second record with the same id", async () => {
    const record = makeRecord();
    await t.store.create(record);
    await expect(t.store.create({ ...record, userId: uniqueUser() })).rejects.toBeDefined();
    expect((await t.store.get(record.id))?.userId).toBe(record.userId);
  });

  it("deletes a record, and deleting a missing one is not an error", async () => {
    const record = makeRecord();
    await t.store.create(record);
    await t.store.delete(record.id);
    expect(await t.store.get(record.id)).toBeNull();
    await expect(t.store.delete(record.id)).resolves.toBeUndefined();
  });

  if (t.options.rawRead) {
    it("writes through to the backend (raw reader sees create and delete)", async () => {
      const record = makeRecord();
      await t.store.create(record);
      const raw = await t.options.rawRead!(record.id);
      expect(raw).not.toBeNull();
      expect(JSON.stringify(raw)).toContain(record.userId);
      await t.store.delete(record.id);
      expect(await t.options.rawRead!(record.id)).toBeNull();
    });
  }
});
