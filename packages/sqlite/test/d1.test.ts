import { createSessions, TesseraConfigError } from "@tessera/core";
import { type RunningServer, startWorker } from "@tessera/edge-test-kit";
import { runStoreConformance } from "@tessera/store-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateRemote, RemoteStore, rawRow } from "./remote-store.js";

// workerd (through miniflare) runs the built package against a real D1 database, asynchronous
// like libSQL, in memory.
describe("on Cloudflare D1 inside workerd", () => {
  let worker: RunningServer;
  beforeAll(async () => {
    worker = await startWorker({
      entry: new URL("./runtimes/d1-worker.ts", import.meta.url),
      d1Databases: ["DB"],
    });
  });
  afterAll(() => worker?.stop());

  it("refuses to run before the table exists, naming migrate(), then serves once it does", async () => {
    const sessions = createSessions({ store: new RemoteStore(worker.url) });
    const failure = await sessions.create({ userId: "early" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraConfigError);
    expect((failure as Error).message).toMatch(
      /^SQLite table "sessions" does not exist: run migrate\(db\)/,
    );
    await migrateRemote(worker.url);
    await migrateRemote(worker.url); // idempotent
    expect((await sessions.create({ userId: "later" })).session.userId).toBe("later");
  });

  runStoreConformance("SQLiteStore (D1 in workerd)", () => new RemoteStore(worker.url), {
    rawRead: (id) => rawRow(worker.url, id),
  });
});
