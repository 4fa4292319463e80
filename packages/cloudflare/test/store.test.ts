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

  it("refuses a namespace that is not a Durable Object binding", async () => {
    expect(await raw("config")).toEqual({ threw: "config" });
  });
});
