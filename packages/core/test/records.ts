/**
 * A stored record built by hand, for tests that hand one to a store, a guard or a view: a live
 * session of user `u1` in class `default`, every field of `SessionRecord` set; `overrides`
 * replace any of them (a test of malformed answers may put anything there).
 */
import type { SessionRecord } from "../src/store/index.js";

export function storedRecord(overrides: Record<string, unknown> = {}): SessionRecord {
  return {
    id: "abcdefghijklmnopqrstuvwx",
    userId: "u1",
    policy: "default",
    impersonatedBy: null,
    version: 1,
    secretHash: "h".repeat(43),
    previousSecretHash: null,
    rotationNonce: null,
    retiredSecretHashes: [],
    data: {},
    createdAt: 0,
    authenticatedAt: 0,
    freshUntil: 0,
    lastActiveAt: 0,
    rotatedAt: 0,
    expiresAt: 60_000,
    absoluteExpiresAt: 120_000,
    client: {},
    dbsc: null,
    ...overrides,
  } as SessionRecord;
}
