import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createSessions, StoreUnavailableError } from "@tessera/core";
import { runStoreConformance } from "@tessera/store-test";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";

// Each PGlite instance compiles PostgreSQL's WASM (seconds on a busy machine): this file makes three.
describe("on PGlite (embedded, in-process)", () => {
  const client = new PGlite();
  const db = drizzle({ client });

  beforeAll(async () => {
    await new PostgresStore({ db }).migrate();
  });
  afterAll(async () => {
    await client.close();
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
});

describe("on PGlite persisted in a local data folder (the demo's embedded default)", () => {
  it("creates the table on first start, keeps sessions across restarts, fails closed when shut", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-pglite-"));
    try {
      const first = new PGlite(dataDir);
      const store = new PostgresStore({ db: drizzle({ client: first }) });
      await store.migrate();
      const { token } = await createSessions({ store }).create({ userId: "alice" });
      await first.close();

      const second = new PGlite(dataDir);
      const reopened = new PostgresStore({ db: drizzle({ client: second }) });
      await reopened.migrate(); // on every start: a no-op once the table exists
      const sessions = createSessions({ store: reopened });
      expect(await sessions.validate(token)).toMatchObject({
        ok: true,
        session: { userId: "alice" },
      });

      await second.close();
      await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(reopened.get("any")).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
