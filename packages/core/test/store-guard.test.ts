/**
 * What core does with a store's answers (`guardStore`): anything that is not what the interface
 * promises becomes `StoreUnavailableError` naming the operation, never a session and never "no
 * session"; a record written before policy classes existed is read with their defaults.
 */
import { describe, expect, it } from "vitest";
import { createSessions, MemoryStore, StoreUnavailableError } from "../src/index.js";
import type { SessionStore } from "../src/store/index.js";
import { guardStore } from "../src/store-guard.js";
import { storedRecord } from "./records.js";

const ID = "abcdefghijklmnopqrstuvwx";

/** A well-formed record of session `ID`, with `overrides`. */
const good = (overrides: Record<string, unknown> = {}) => storedRecord(overrides);

/** A store answering every call with `answer` (the six methods, and the epochs when asked). */
function answering(answer: unknown, epochs = true): SessionStore {
  const reply = async () => answer;
  const store = {
    create: reply,
    get: reply,
    update: reply,
    delete: reply,
    listByUser: reply,
    deleteByUser: reply,
  } as unknown as SessionStore;
  if (!epochs) return store;
  return { ...store, getWithEpochs: reply, readEpochs: reply, raiseEpoch: reply } as SessionStore;
}

const invalidAnswer = (operation: string) =>
  expect.objectContaining({
    name: "StoreUnavailableError",
    message: `session store returned an invalid answer to ${operation}`,
  });

const BAD_RECORDS: Array<[string, unknown]> = [
  ["a string", "session"],
  ["a number", 42],
  ["another session's record", good({ id: "bbbbbbbbbbbbbbbbbbbbbbbb" })],
  ["an id that is not a string", good({ id: 7 })],
  ["a user id that is a number", good({ userId: 7 })],
  ["a version as text", good({ version: "1" })],
  ["no secret hash", good({ secretHash: null })],
  ["an expiry as text", good({ expiresAt: "60000" })],
  ["no absolute expiry", good({ absoluteExpiresAt: undefined })],
  ["a class that is not a name", good({ policy: 3 })],
  ["an impersonator that is a number", good({ impersonatedBy: 3 })],
];

describe("guardStore", () => {
  it.each(BAD_RECORDS)("refuses %s from get", async (_, answer) => {
    await expect(guardStore(answering(answer), 0).get(ID)).rejects.toEqual(invalidAnswer("get"));
  });

  it.each(BAD_RECORDS)("refuses %s from getWithEpochs", async (_, record) => {
    const store = guardStore(answering({ record, epochs: { global: 0, user: 0 } }), 0);
    await expect(store.getWithEpochs!(ID)).rejects.toEqual(invalidAnswer("getWithEpochs"));
  });

  it.each<[string, unknown]>([
    ["no epochs", undefined],
    ["epochs that are not an object", 5],
    ["a global epoch as text", { global: "0", user: 0 }],
    ["a user epoch that is not finite", { global: 0, user: Number.POSITIVE_INFINITY }],
    ["a global epoch that is NaN", { global: Number.NaN, user: 0 }],
    ["no user epoch", { global: 0 }],
  ])("refuses %s next to a good record, and from readEpochs", async (_, epochs) => {
    const withRecord = guardStore(answering({ record: good(), epochs }), 0);
    await expect(withRecord.getWithEpochs!(ID)).rejects.toEqual(invalidAnswer("getWithEpochs"));
    await expect(guardStore(answering(epochs), 0).readEpochs!("u1")).rejects.toEqual(
      invalidAnswer("readEpochs"),
    );
  });

  it("answers null for a missing session, and reads a record from before policy classes", async () => {
    for (const nothing of [null, undefined]) {
      expect(await guardStore(answering(nothing), 0).get(ID)).toBeNull();
      expect(await guardStore(answering(nothing), 0).getWithEpochs!(ID)).toBeNull();
    }
    const { policy: _p, impersonatedBy: _i, ...old } = good();
    const read = await guardStore(answering(old), 0).get(ID);
    expect(read).toMatchObject({ id: ID, policy: "default", impersonatedBy: null });
    expect(
      await guardStore(answering({ record: old, epochs: { global: 1, user: 2 } }), 0)
        .getWithEpochs!(ID),
    ).toMatchObject({ epochs: { global: 1, user: 2 } });
  });

  it("refuses an update that is not true or false, a list that is not records, a count that is not a number", async () => {
    for (const written of [1, "true", undefined, null]) {
      await expect(guardStore(answering(written), 0).update(good(), 1)).rejects.toEqual(
        invalidAnswer("update"),
      );
    }
    expect(await guardStore(answering(false), 0).update(good(), 1)).toBe(false);
    for (const list of [null, "x", { length: 0 }, [good(), { id: 1 }]]) {
      await expect(guardStore(answering(list), 0).listByUser("u1")).rejects.toEqual(
        invalidAnswer("listByUser"),
      );
    }
    expect(await guardStore(answering([good()]), 0).listByUser("u1")).toHaveLength(1);
    for (const count of ["2", null, undefined]) {
      await expect(guardStore(answering(count), 0).deleteByUser("u1")).rejects.toEqual(
        invalidAnswer("deleteByUser"),
      );
    }
    expect(await guardStore(answering(2), 0).deleteByUser("u1")).toBe(2);
  });

  it("keeps the epoch methods only for a store that has all three", () => {
    expect(guardStore(answering(null), 0).getWithEpochs).toBeTypeOf("function");
    const six = guardStore(answering(null, false), 0);
    expect(six.getWithEpochs).toBeUndefined();
    expect(six.readEpochs).toBeUndefined();
    expect(six.raiseEpoch).toBeUndefined();
  });
});

describe("a store that answers nonsense, through createSessions", () => {
  it("makes validate fail with StoreUnavailableError, never a session or not-found", async () => {
    const real = new MemoryStore();
    const { token } = await createSessions({ store: real }).create({ userId: "u1" });
    for (const epochs of [true, false]) {
      const broken = answering(good({ id: token.slice(0, 24), version: "one" }), epochs);
      await expect(createSessions({ store: broken }).validate(token)).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    }
  });
});
