import { fileURLToPath } from "node:url";
import { type RunningServer, startProcess } from "@tessera/edge-test-kit";
import { runStoreConformance } from "@tessera/store-test";
import { afterAll, beforeAll, describe } from "vitest";
import { migrateRemote, RemoteStore, rawRow } from "./remote-store.js";
import { databasePath } from "./support.js";

const here = new URL("..", import.meta.url);

// Bun, installed from npm (`bun` package), runs the TypeScript server and the built package on
// its own synchronous bun:sqlite driver, on a WAL file.
describe("on bun:sqlite inside Bun", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startProcess({
      command: fileURLToPath(new URL("node_modules/.bin/bun", here)),
      args: ["run", "test/runtimes/bun-server.ts", databasePath("bun")],
      cwd: here,
      env: { NO_COLOR: "1" },
    });
    await migrateRemote(server.url);
  });
  afterAll(() => server?.stop());

  runStoreConformance("SQLiteStore (bun:sqlite in Bun)", () => new RemoteStore(server.url), {
    rawRead: (id) => rawRow(server.url, id),
  });
});
