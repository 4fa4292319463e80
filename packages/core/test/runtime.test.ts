import { runInEdgeRuntime } from "@tessera/edge-test-kit";
import { describe, expect, it } from "vitest";

/**
 * Core must run on any JavaScript runtime. Bundling for the "neutral" platform fails on any Node
 * built-in, and the bundle then runs a full lifecycle inside an edge-runtime VM (the primitives
 * of Vercel's Edge Runtime: Web Crypto, no `process`, no `Buffer`, no `require`).
 */
describe("runtime neutrality", () => {
  it("bundles without Node built-ins and runs create/validate/rotate/revoke in an edge VM", async () => {
    const outcome = await runInEdgeRuntime({
      entry: new URL("../src/index.ts", import.meta.url),
      globalName: "Tessera",
      script: `
        let now = Date.now();
        const sessions = Tessera.createSessions({
          store: new Tessera.MemoryStore(),
          rotation: { interval: 60, grace: 5 },
          now: () => now,
        });
        const { session, token } = await sessions.create({ userId: "edge-user", client: { ip: "203.0.113.1" } });
        const first = await sessions.validate(token, { ip: "203.0.113.1" });
        now += 61000;
        const rotated = await sessions.validate(token, { ip: "203.0.113.1" });
        await sessions.revoke(session.id);
        const after = await sessions.validate(rotated.token, { ip: "203.0.113.1" });
        return { first: first.ok, rotated: typeof rotated.token, after: after.reason };
      `,
    });
    expect(outcome).toEqual({ first: true, rotated: "string", after: "not-found" });
  });
});
