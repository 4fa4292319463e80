/** The DBSC rules on a record: challenges answerable once before their expiry, live bound cookies. */
import { describe, expect, it } from "vitest";
import {
  addBoundCookie,
  addChallenge,
  BOUND_COOKIES_KEPT,
  boundCookieMatches,
  CHALLENGES_KEPT,
  judgeChallenge,
  SPENT_KEPT,
  spendChallenge,
} from "../src/device-binding.js";
import type { StoredDeviceBinding } from "../src/store/index.js";
import { hashSecret } from "../src/token.js";

const empty: StoredDeviceBinding = {
  key: null,
  challenges: [],
  spent: [],
  cookies: [],
  registeredAt: null,
};

describe("device binding rules", () => {
  it("answers a challenge once, before its expiry", () => {
    const binding = addChallenge(empty, "c1", 1000, 60_000);
    expect(judgeChallenge(binding, "c1", 1000 + 59_999)).toBe("ok");
    expect(judgeChallenge(binding, "c1", 1000 + 60_000)).toBe("expired-challenge");
    expect(judgeChallenge(binding, "other", 1000)).toBe("unknown-challenge");
    const spent = spendChallenge(binding, "c1");
    expect(judgeChallenge(spent, "c1", 1000)).toBe("replayed-challenge");
  });

  it("keeps the newest challenges and answered ones, within bounds", () => {
    let binding = empty;
    for (let i = 0; i < 5; i++) binding = addChallenge(binding, `c${i}`, 0, 60_000);
    expect(binding.challenges.map((c) => c.value)).toEqual(["c4", "c3"].slice(0, CHALLENGES_KEPT));
    expect(judgeChallenge(binding, "c0", 0)).toBe("unknown-challenge");
    for (let i = 0; i < 6; i++) binding = spendChallenge(binding, `s${i}`);
    expect(binding.spent).toHaveLength(SPENT_KEPT);
    expect(binding.spent[0]).toBe("s5");
    // Expired challenges are dropped when a new one is added.
    const later = addChallenge(addChallenge(empty, "old", 0, 10), "new", 100, 10);
    expect(later.challenges.map((c) => c.value)).toEqual(["new"]);
  });

  it("accepts a live bound cookie, the previous one too, and nothing else", () => {
    let binding = addBoundCookie(empty, hashSecret("first"), 10_000, 0);
    binding = addBoundCookie(binding, hashSecret("second"), 20_000, 5_000);
    expect(boundCookieMatches(binding, hashSecret("second"), 6_000)).toBe(true);
    expect(boundCookieMatches(binding, hashSecret("first"), 6_000)).toBe(true);
    expect(boundCookieMatches(binding, hashSecret("first"), 10_000)).toBe(false);
    expect(boundCookieMatches(binding, hashSecret("second"), 20_000)).toBe(false);
    expect(boundCookieMatches(binding, hashSecret("never"), 6_000)).toBe(false);
    expect(boundCookieMatches(binding, null, 6_000)).toBe(false);
    binding = addBoundCookie(binding, hashSecret("third"), 30_000, 6_000);
    expect(binding.cookies).toHaveLength(BOUND_COOKIES_KEPT);
    expect(boundCookieMatches(binding, hashSecret("first"), 6_000)).toBe(false);
  });
});
