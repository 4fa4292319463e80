/**
 * Faults: a store that fails or hangs surfaces as `StoreUnavailableError`, never as a session.
 */
import { createSessions, StoreUnavailableError } from "@tessera/core";
import { expect, it } from "vitest";
import { failingStore, uniqueUser } from "../doubles.js";
import { defineSuite } from "../suite.js";

/** The `faults` suite on its own: `faultsSuite(name, makeStore, options?)`. */
export const faultsSuite = defineSuite("faults", (t) => {
  for (const how of ["reject", "hang"] as const) {
    it(`turns a store that ${how === "reject" ? "throws" : "hangs"} into StoreUnavailableError, never a session`, async () => {
      const healthy = createSessions({ store: t.store });
      const { session, token } = await healthy.create({ userId: uniqueUser() });
      const broken = createSessions({
        store: failingStore(how),
        storeTimeout: t.options.hangTimeout ?? 200,
      });
      await expect(broken.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(broken.revoke(session.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(broken.list(session.userId)).rejects.toBeInstanceOf(StoreUnavailableError);
      // The store itself is untouched and still serves the session.
      expect((await healthy.validate(token)).ok).toBe(true);
    });
  }
});
