/**
 * Each lifecycle rule on its own, as a pure function over a record (src/rules.ts). The lifecycle
 * as a whole is specified in sessions.test.ts; these pin each decision where it is made.
 */
import { describe, expect, it } from "vitest";
import {
  confirmRotation,
  followClient,
  idleExtension,
  isFresh,
  isLive,
  matchSecret,
  type Policy,
  resendSecret,
  rotateSecret,
  rotationDue,
  skipsStepUp,
  stepUp,
  writeForCurrent,
  writeForResend,
} from "../src/rules.js";
import type { SessionRecord } from "../src/store/index.js";
import { generateSecret, hashSecret, parseToken } from "../src/token.js";

const MINUTE = 60_000;
const policy: Policy = {
  idleMs: 30 * MINUTE,
  intervalMs: 5 * MINUTE,
  graceMs: 30_000,
  freshMs: 10 * MINUTE,
};

function record(secret: string, at = 0, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: "a".repeat(24),
    userId: "u1",
    policy: "default",
    impersonatedBy: null,
    version: 1,
    secretHash: hashSecret(secret),
    previousSecretHash: null,
    rotationNonce: null,
    retiredSecretHashes: [],
    data: {},
    createdAt: at,
    authenticatedAt: at,
    freshUntil: at + policy.freshMs,
    lastActiveAt: at,
    rotatedAt: at,
    expiresAt: at + policy.idleMs,
    absoluteExpiresAt: at + 24 * 60 * MINUTE,
    client: { ip: "203.0.113.7", ua: "chrome/131/macos" },
    dbsc: null,
    ...overrides,
  };
}

/** A record after one rotation, and the two secrets. */
function rotated(at = 0) {
  const old = generateSecret();
  const before = record(old);
  const draft = { ...before };
  const token = rotateSecret(draft, before, old, at, false);
  return { old, next: parseToken(token)!.secret, record: draft };
}

describe("liveness", () => {
  it("is live until the earlier of idle and absolute expiry", () => {
    const r = record(generateSecret(), 0);
    expect(isLive(r, policy.idleMs - 1)).toBe(true);
    expect(isLive(r, policy.idleMs)).toBe(false);
  });
});

describe("secret match (rule rotation)", () => {
  it("knows the current secret and refuses one never issued without calling it theft", () => {
    const secret = generateSecret();
    const r = record(secret);
    expect(matchSecret(r, hashSecret(secret), 0, policy.graceMs)).toBe("current");
    expect(matchSecret(r, hashSecret(generateSecret()), 0, policy.graceMs)).toBe("invalid");
  });

  it("re-sends while a rotation is unconfirmed, however late the previous secret comes back", () => {
    const { old, record: r } = rotated(0);
    expect(matchSecret(r, hashSecret(old), 365 * 24 * 60 * MINUTE, policy.graceMs)).toBe(1);
  });

  it("accepts the previous secret inside grace once confirmed, and calls it reuse after", () => {
    const { old, record: r } = rotated(0);
    confirmRotation(r, 10_000);
    expect(matchSecret(r, hashSecret(old), 10_000 + policy.graceMs - 1, policy.graceMs)).toBe(
      "previous",
    );
    expect(matchSecret(r, hashSecret(old), 10_000 + policy.graceMs, policy.graceMs)).toBe("reused");
  });
});

describe("rotation (rule rotation)", () => {
  it("is due once the interval has passed since the last rotation", () => {
    expect(rotationDue(0, policy.intervalMs - 1, policy.intervalMs)).toBe(false);
    expect(rotationDue(0, policy.intervalMs, policy.intervalMs)).toBe(true);
    expect(rotationDue(0, 0, 0)).toBe(true);
  });

  it("derives the new secret so any holder of the previous one is re-sent the same token", () => {
    const { old, next, record: r } = rotated(0);
    expect(resendSecret(r, old, 1)).toBe(next);
    expect(r.previousSecretHash).toBe(hashSecret(old));
    expect(r.secretHash).toBe(hashSecret(next));
    expect(JSON.stringify(r)).not.toContain(next); // the store never holds a secret
  });

  it("confirms the rotation when the new secret is presented, restarting grace and interval", () => {
    const { next, record: r } = rotated(0);
    const write = writeForCurrent(r, next, MINUTE, policy, "validate", null);
    expect(write?.record.rotationNonce).toBeNull();
    expect(write?.record.rotatedAt).toBe(MINUTE);
    // No new secret: the write carries the idle extension, so the same token is re-sent.
    expect(parseToken(write?.token)?.secret).toBe(next);
  });
});

describe("idle extension (rule hot-path, timeouts)", () => {
  it("is written only when less than half the window remains, never past the absolute end", () => {
    const r = record(generateSecret(), 0);
    expect(idleExtension(r, policy.idleMs / 2 - 1, policy.idleMs, false)).toBeNull();
    expect(idleExtension(r, policy.idleMs / 2 + 1, policy.idleMs, false)).toBe(
      policy.idleMs / 2 + 1 + policy.idleMs,
    );
    const ending = record(generateSecret(), 0, { absoluteExpiresAt: policy.idleMs + 5 });
    expect(idleExtension(ending, policy.idleMs - 1, policy.idleMs, true)).toBe(policy.idleMs + 5);
  });

  it("costs no write on the hot path", () => {
    const secret = generateSecret();
    expect(writeForCurrent(record(secret), secret, MINUTE, policy, "validate", null)).toBeNull();
  });
});

describe("client move (rule binding)", () => {
  it("records only the fields the request supplied, and ends freshness", () => {
    const r = record(generateSecret(), 0);
    const draft = { ...r };
    followClient(draft, r, { ip: "198.51.100.4" }, MINUTE);
    expect(draft.client).toEqual({ ip: "198.51.100.4", ua: "chrome/131/macos" });
    expect(draft.freshUntil).toBe(MINUTE);
  });
});

describe("freshness and step-up (rule freshness)", () => {
  it("belongs to the current secret only", () => {
    const r = record(generateSecret(), 0);
    expect(isFresh(r, MINUTE, true)).toBe(true);
    expect(isFresh(r, MINUTE, false)).toBe(false);
    expect(isFresh(r, policy.freshMs, true)).toBe(false);
  });

  it("makes the session fresh again, never past its absolute end", () => {
    const r = record(generateSecret(), 0, { absoluteExpiresAt: 20 * MINUTE });
    const draft = { ...r };
    stepUp(draft, r, 15 * MINUTE, policy.freshMs);
    expect(draft.authenticatedAt).toBe(15 * MINUTE);
    expect(draft.freshUntil).toBe(20 * MINUTE);
  });

  it("rotates the secret on a step-up and chains it onto an unconfirmed rotation", () => {
    const { next, record: r } = rotated(0);
    const stepped = writeForCurrent(r, next, MINUTE, policy, "reauthenticate", null)!;
    expect(stepped.token).not.toBeNull();
    expect(stepped.record.rotationNonce?.split(" ")).toHaveLength(2);
    expect(skipsStepUp(stepped.record, 1)).toBe(true);
    expect(isFresh(stepped.record, MINUTE, true)).toBe(true);
  });

  it("ends a step-up's freshness when a pre-step-up secret is exchanged for it", () => {
    const { next, record: r } = rotated(0);
    const stepped = writeForCurrent(r, next, MINUTE, policy, "reauthenticate", null)!;
    const resent = writeForResend(stepped.record, 2 * MINUTE, policy, null, 1);
    expect(resent?.freshUntil).toBe(2 * MINUTE);
  });
});
