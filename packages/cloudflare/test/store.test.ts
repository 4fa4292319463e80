import { type RunningServer, startWorker } from "@tessera/edge-test-kit";
import { makeRecord, runStoreConformance } from "@tessera/store-test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { HttpStore } from "./http-store.js";

let worker: RunningServer;
beforeAll(async () => {
  worker = await startWorker({
    entry: new URL("./worker.ts", import.meta.url),
    durableObjects: { SESSIONS: "TestSessionObject" },
  });
});
afterAll(() => worker?.stop());

async function raw(path: string): Promise<unknown> {
  return (await fetch(`${worker.url}/${path}`)).json();
}

runStoreConformance(
  "DurableObjectStore (Durable Objects in workerd)",
  () => new HttpStore(worker.url),
  {
    rawRead: (id) => raw(`raw-record/${id}`),
  },
);

describe("DurableObjectStore in workerd", () => {
  it("keeps each session in its own object, with an alarm at the record's expiresAt", async () => {
    const store = new HttpStore(worker.url);
    const record = makeRecord({ expiresAt: Date.now() + 60_000 });
    await store.create(record);
    expect(await raw(`raw-session/${record.id}`)).toEqual({
      keys: ["record"],
      alarm: record.expiresAt,
    });
    const extended = { ...record, version: 2, expiresAt: record.expiresAt + 3_600_000 };
    expect(await store.update(extended, 1)).toBe(true);
    expect(await raw(`raw-session/${record.id}`)).toEqual({
      keys: ["record"],
      alarm: extended.expiresAt,
    });
  });

  it("indexes a user's sessions in the user's object, alarmed at the latest expiry", async () => {
    const store = new HttpStore(worker.url);
    const userId = `user-${Math.random()}`;
    const early = makeRecord({ userId, expiresAt: Date.now() + 60_000 });
    const late = makeRecord({ userId, expiresAt: Date.now() + 120_000 });
    await store.create(early);
    await store.create(late);
    expect(await raw(`raw-index/${encodeURIComponent(userId)}`)).toEqual({
      keys: [`s:${early.id}`, `s:${late.id}`].sort(),
      alarm: late.expiresAt,
    });
  });

  it("lets the alarm delete an expired session's storage, and the index empty itself", async () => {
    const store = new HttpStore(worker.url);
    const record = makeRecord({ expiresAt: Date.now() + 500 });
    await store.create(record);
    expect(await raw(`raw-session/${record.id}`)).toMatchObject({ keys: ["record"] });
    // Nothing reads either object meanwhile: only their alarms can empty them.
    const empty = { keys: [], alarm: null };
    await vi.waitFor(
      async () => {
        expect(await raw(`raw-session/${record.id}`)).toEqual(empty);
        expect(await raw(`raw-index/${encodeURIComponent(record.userId)}`)).toEqual(empty);
      },
      { timeout: 15_000, interval: 250 },
    );
  });

  it("leaves nothing behind when a user's last session is deleted", async () => {
    const store = new HttpStore(worker.url);
    const record = makeRecord();
    await store.create(record);
    await store.delete(record.id);
    expect(await raw(`raw-session/${record.id}`)).toEqual({ keys: [], alarm: null });
    expect(await raw(`raw-index/${encodeURIComponent(record.userId)}`)).toEqual({
      keys: [],
      alarm: null,
    });
  });

  it("never lists nor deletes another user's session through an entry left by a refused create", async () => {
    const store = new HttpStore(worker.url);
    const owner = makeRecord();
    await store.create(owner);
    const intruder = makeRecord({ id: owner.id });
    await expect(store.create(intruder)).rejects.toMatchObject({ code: "conflict" });
    expect(await store.listByUser(intruder.userId)).toEqual([]);
    expect(await store.deleteByUser(intruder.userId)).toBe(0);
    expect(await store.get(owner.id)).toEqual(owner);
  });

  it("keeps two stores with different prefixes apart in one namespace", async () => {
    const a = new HttpStore(worker.url, "a:");
    const b = new HttpStore(worker.url, "b:");
    const record = makeRecord();
    await a.create(record);
    expect(await b.get(record.id)).toBeNull();
    await b.create({ ...record, data: { other: true } });
    expect(await b.deleteByUser(record.userId)).toBe(1);
    expect(await a.get(record.id)).toEqual(record);
  });

  it("keeps a guest session out of every user index", async () => {
    const store = new HttpStore(worker.url);
    const guest = makeRecord({ userId: null, policy: "guest" });
    await store.create(guest);
    expect(await raw(`raw-session/${guest.id}`)).toMatchObject({ keys: ["record"] });
    expect(await store.get(guest.id)).toEqual(guest);
    expect(await store.update({ ...guest, userId: "someone", version: 2 }, 1)).toBe(false);
    await store.delete(guest.id);
    expect(await raw(`raw-session/${guest.id}`)).toEqual({ keys: [], alarm: null });
  });

  it("reads a record stored before policies existed as the default policy, not impersonated", async () => {
    const store = new HttpStore(worker.url);
    const record = makeRecord({ policy: "remembered", impersonatedBy: "admin-1" });
    const { policy: _policy, impersonatedBy: _by, ...old } = record;
    await fetch(`${worker.url}/raw-put/${record.id}`, {
      method: "POST",
      body: JSON.stringify(old),
    });
    expect(await store.get(record.id)).toEqual({
      ...record,
      policy: "default",
      impersonatedBy: null,
    });
  });

  it("keeps the global epoch in 8 objects without expiry, and a user's in its own object deleted 400 days after its last raise", async () => {
    // A prefix of its own: the global epoch raised here must not end other tests' sessions.
    const store = new HttpStore(worker.url, "epochs:");
    const at = Date.now() - 60_000;
    await store.raiseEpoch(null, at);
    for (let shard = 0; shard < 8; shard++) {
      expect(await raw(`raw-epoch/${encodeURIComponent(`epochs:e:${shard}`)}`)).toEqual({
        keys: ["epoch"],
        alarm: null,
      });
    }
    const userId = `revoked-${Math.random()}`;
    const session = makeRecord({ userId });
    await store.create(session);
    await store.raiseEpoch(userId, at + 1000);
    await store.raiseEpoch(userId, at);
    expect(await raw(`raw-epoch/${encodeURIComponent(`epochs:ue:${userId}`)}`)).toEqual({
      keys: ["epoch"],
      alarm: at + 1000 + 400 * 86_400_000,
    });
    expect(await store.readEpochs(userId)).toEqual({ global: at, user: at + 1000 });
    // The hot read cannot name the user's object before it has read the record: user 0.
    expect(await store.getWithEpochs(session.id)).toEqual({
      record: session,
      epochs: { global: at, user: 0 },
    });
  });

  it("refuses a namespace that is not a Durable Object binding", async () => {
    expect(await raw("config")).toEqual({ threw: "config" });
  });
});
