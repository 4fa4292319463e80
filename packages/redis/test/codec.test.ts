import type { SessionRecord } from "@tessera/core/store";
import { makeRecord } from "@tessera/store-test";
import { describe, expect, it } from "vitest";
import { decode, encode, SEPARATOR } from "../src/codec.js";

const roundTrip = (record: SessionRecord) => decode(record.id, encode(record));

describe("format 2 values", () => {
  it("round-trips every field, including the round-3 ones and a guest", () => {
    const guest = makeRecord({ userId: null, policy: "guest", data: {} });
    expect(roundTrip(guest)).toEqual(guest);
    const impersonation = makeRecord({
      policy: "impersonation",
      impersonatedBy: "admin-7",
      previousSecretHash: "p".repeat(43),
      rotationNonce: "nonce-a nonce-b",
      retiredSecretHashes: ["r1", "r2"],
      client: { ip: "2001:db8::1", ua: "chrome/131/macos", deviceId: "device 1" },
      dbsc: { key: null, challenges: [], spent: [], cookies: [], registeredAt: null },
    });
    expect(roundTrip(impersonation)).toEqual(impersonation);
  });

  it("keeps strings that look like separators, JSON, empty values or defaults exactly", () => {
    const record = makeRecord({
      userId: `"quoted${SEPARATOR}user\n`,
      impersonatedBy: "",
      policy: '"default"',
      rotationNonce: "",
      previousSecretHash: '"',
      retiredSecretHashes: ["has space", `"`, ""],
      data: { text: `a${SEPARATOR}b`, nested: { list: [1, "x"] } },
      client: { ip: "", ua: "ü/1/ünïcode", deviceId: "~1" },
    });
    expect(roundTrip(record)).toEqual(record);
    expect(roundTrip({ ...record, policy: "default" }).policy).toBe("default");
    expect(roundTrip({ ...record, client: {} }).client).toEqual({});
  });

  it("round-trips times that are negative, fractional or far apart exactly", () => {
    const record = makeRecord({
      createdAt: 1_796_634_845_400.5,
      authenticatedAt: -1,
      freshUntil: 1e-7,
      lastActiveAt: 1_796_634_845_400.5,
      rotatedAt: Number.MAX_SAFE_INTEGER,
      expiresAt: 1_796_634_845_401.25,
      absoluteExpiresAt: 4_102_444_800_000,
    });
    expect(roundTrip(record)).toEqual(record);
    const whole = makeRecord({ createdAt: 0, authenticatedAt: -5, expiresAt: 10 });
    expect(roundTrip(whole)).toEqual(whole);
  });

  it("writes a fresh logged-in session in under 125 bytes and drops empty trailing fields", () => {
    const now = 1_796_634_845_400;
    const value = encode(
      makeRecord({
        userId: "user-123456",
        secretHash: "jxyE9EMHT2myt_u7aSaTddFOmuL7mEPEhXrHdqj2qmo",
        data: {},
        createdAt: now,
        authenticatedAt: now,
        freshUntil: now + 600_000,
        lastActiveAt: now,
        rotatedAt: now,
        expiresAt: now + 604_800_000,
        absoluteExpiresAt: now + 2_592_000_000,
        client: { ip: "198.51.100.23", ua: "safari/17/macos" },
      }),
    );
    expect(value.length).toBeLessThanOrEqual(124);
    expect(value.endsWith("safari/17/macos")).toBe(true);
    expect(value.split(SEPARATOR).slice(0, 3)).toEqual(["2", "1", "user-123456"]);
  });

  it("refuses what is not a format-2 value", () => {
    expect(() => decode("id", '[1,"u",1]')).toThrow(TypeError);
    expect(() => decode("id", `3${SEPARATOR}1`)).toThrow(TypeError);
    expect(() => decode("id", `2${SEPARATOR}x${SEPARATOR}u${SEPARATOR}h${SEPARATOR}1`)).toThrow(
      TypeError,
    );
    expect(() => decode("id", `2${SEPARATOR}1${SEPARATOR}u${SEPARATOR}h${SEPARATOR}?`)).toThrow(
      TypeError,
    );
  });
});
