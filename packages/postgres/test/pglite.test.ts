import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createSessions, StoreUnavailableError } from "@tessera/core";
import { runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { migrate } from "../src/setup.js";

// PGlite persisted in a local data folder: the demo's embedded default. Starting PGlite compiles
// PostgreSQL's WASM (and runs initdb on a new folder): seconds of CPU, so this file starts it
// only twice, and allows for a loaded machine.
describe("on PGlite (embedded, in-process, persisted in a data folder)", {
  timeout: 90_000,
}, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-pglite-"));
  let client = new PGlite(dataDir);
  const db = drizzle({ client });

  beforeAll(async () => {
    await migrate(db);
  }, 90_000);
  afterAll(async () => {
    if (!client.closed) await client.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  runStoreConformance("PostgresStore (PGlite)", () => new PostgresStore({ db }), {
    rawRead: async (id) => {
      const { rows } = await client.query("select * from sessions where id = $1", [id]);
      return rows[0] ?? null;
    },
  });

  it("validates with a single primary-key SELECT on PGlite too", async () => {
    const statements: string[] = [];
    const logged = drizzle({ client, logger: { logQuery: (query) => statements.push(query) } });
    const sessions = createSessions({ store: new PostgresStore({ db: logged }) });
    const { token } = await sessions.create({ userId: "bob" });
    statements.length = 0;
    expect((await sessions.validate(token)).ok).toBe(true);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(
      /^select .* from "sessions" where \("sessions"\."id" = \$1 and "sessions"\."expires_at" > \$2\)$/,
    );
  });

  it("keeps sessions across a restart, and fails closed once shut", async () => {
    const { token } = await createSessions({ store: new PostgresStore({ db }) }).create({
      userId: "alice",
    });
    await client.close();

    client = new PGlite(dataDir);
    const reopenedDb = drizzle({ client });
    await migrate(reopenedDb); // on every start: a no-op once the table exists
    const reopened = new PostgresStore({ db: reopenedDb });
    const sessions = createSessions({ store: reopened });
    expect(await sessions.validate(token)).toMatchObject({
      ok: true,
      session: { userId: "alice" },
    });

    await client.close();
    await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(reopened.get("any")).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
