import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  deriveRotatedSecret,
  formatToken,
  generateSecret,
  generateSessionId,
  hashSecret,
  isSessionId,
  isToken,
  parseToken,
  secretHashMatches,
  TOKEN_LENGTH,
} from "../src/token.js";

describe("token format", () => {
  it("issues cookie-safe tokens of at most 64 characters with >= 120-bit ids and >= 128-bit secrets", () => {
    const token = formatToken(generateSessionId(), generateSecret());
    expect(token).toMatch(/^[a-z2-7]{24}\.[a-z2-7]{32}$/);
    expect(token.length).toBe(TOKEN_LENGTH);
    expect(TOKEN_LENGTH).toBeLessThanOrEqual(64);
    // 24 base32 characters carry 120 bits, 32 carry 160 bits.
    expect(24 * 5).toBeGreaterThanOrEqual(120);
    expect(32 * 5).toBeGreaterThanOrEqual(128);
  });

  it("never repeats an id or a secret", () => {
    const ids = new Set(Array.from({ length: 2000 }, generateSessionId));
    const secrets = new Set(Array.from({ length: 2000 }, generateSecret));
    expect(ids.size).toBe(2000);
    expect(secrets.size).toBe(2000);
  });

  it("splits a well-formed token into id and secret", () => {
    const id = generateSessionId();
    const secret = generateSecret();
    expect(parseToken(`${id}.${secret}`)).toEqual({ id, secret });
  });

  it.each([
    ["empty", ""],
    ["no dot", "a".repeat(57)],
    ["uppercase", `${"A".repeat(24)}.${"a".repeat(32)}`],
    ["base32 digits out of range", `${"1".repeat(24)}.${"a".repeat(32)}`],
    ["short secret", `${"a".repeat(24)}.${"a".repeat(31)}`],
    ["long secret", `${"a".repeat(24)}.${"a".repeat(33)}`],
    ["two dots", `${"a".repeat(24)}..${"a".repeat(31)}`],
    ["trailing newline", `${"a".repeat(24)}.${"a".repeat(31)}\n`],
  ])("rejects a malformed token (%s)", (_, token) => {
    expect(parseToken(token)).toBeNull();
    // The gate's cheap check (cookie candidates, bearer headers) refuses the same strings.
    expect(isToken(token)).toBe(false);
  });

  it("refuses a token with any other separator, or with anything appended, in both checks", () => {
    const token = formatToken(generateSessionId(), generateSecret());
    expect(isToken(token)).toBe(true);
    for (const separator of ["a", "-", "_", ":", " "]) {
      const other = `${token.slice(0, 24)}${separator}${token.slice(25)}`;
      expect(isToken(other)).toBe(false);
      expect(parseToken(other)).toBeNull();
    }
    for (const tail of ["a", ".", "\0", " "]) {
      expect(isToken(token + tail)).toBe(false);
      expect(parseToken(token + tail)).toBeNull();
    }
  });

  it("rejects non-strings without throwing", () => {
    for (const value of [undefined, null, 42, {}, [], Symbol("x"), () => "x"]) {
      expect(parseToken(value)).toBeNull();
    }
  });

  it("never throws on arbitrary input, including huge, unicode and dot-heavy strings", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "grapheme", maxLength: 200 }),
          fc.string({ unit: fc.constantFrom(".", "a", "z", "2", "7", "=", "%"), maxLength: 120 }),
          fc.string({ minLength: 10_000, maxLength: 20_000 }),
        ),
        (input) => {
          const parsed = parseToken(input);
          if (parsed) expect(`${parsed.id}.${parsed.secret}`).toBe(input);
        },
      ),
    );
  });

  it("accepts exactly the strings of the token grammar: 24 and 32 of a-z, 2-7, around one dot", () => {
    const grammar = /^[a-z2-7]{24}\.[a-z2-7]{32}$/;
    // Near-tokens: the right length, drawn from the alphabet's edges and their neighbours.
    const near = fc.string({
      unit: fc.constantFrom("a", "z", "2", "7", "1", "8", "{", "`", "A", ".", "\u00e1"),
      minLength: 57,
      maxLength: 57,
    });
    const base32 = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz234567");
    const valid = fc
      .tuple(
        fc.string({ unit: base32, minLength: 24, maxLength: 24 }),
        fc.string({ unit: base32, minLength: 32, maxLength: 32 }),
      )
      .map(([id, secret]) => `${id}.${secret}`);
    // A valid token with one character swapped for a neighbour of the alphabet (or kept).
    const mutated = fc
      .tuple(valid, fc.nat(56), fc.constantFrom("a", "7", "1", "8", "{", "`", "A", ".", "\u00e1"))
      .map(([token, at, char]) => token.slice(0, at) + char + token.slice(at + 1));
    fc.assert(
      fc.property(
        fc.oneof(valid, mutated, near, fc.string({ minLength: 57, maxLength: 57 })),
        (input) => {
          expect(parseToken(input) !== null).toBe(grammar.test(input));
          expect(isToken(input)).toBe(grammar.test(input));
          expect(isSessionId(input.slice(0, 24))).toBe(/^[a-z2-7]{24}$/.test(input.slice(0, 24)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("recognises session ids", () => {
    expect(isSessionId(generateSessionId())).toBe(true);
    expect(isSessionId("short")).toBe(false);
    expect(isSessionId(7)).toBe(false);
    // Not a string, however id-like its length: refused, never a TypeError.
    expect(isSessionId(Array.from({ length: 24 }, () => "a"))).toBe(false);
    expect(isSessionId({ length: 24 })).toBe(false);
    expect(isSessionId(`${generateSessionId()}a`)).toBe(false);
  });
});

describe("secret hashing", () => {
  it("stores SHA-256 as 43 base64url characters that do not contain the secret", () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(secret);
  });

  it("matches its own hash and nothing else", () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    expect(secretHashMatches(hashSecret(secret), hash)).toBe(true);
    expect(secretHashMatches(hashSecret(generateSecret()), hash)).toBe(false);
    expect(secretHashMatches(hashSecret(secret), null)).toBe(false);
    expect(secretHashMatches(hashSecret(secret), "not base64url!")).toBe(false);
    expect(secretHashMatches(hashSecret(secret), "*".repeat(43))).toBe(false);
    // A hash differing only in its last character is refused too (every character counts).
    const last = hash.at(-1) === "A" ? "B" : "A";
    expect(secretHashMatches(hash, `${hash.slice(0, -1)}${last}`)).toBe(false);
    expect(secretHashMatches(hash, hash.slice(0, -1))).toBe(false);
    // A stored value that merely starts with the presented hash is not a match either way round.
    expect(secretHashMatches(hash, `${hash}A`)).toBe(false);
    expect(secretHashMatches(hash.slice(0, -1), hash)).toBe(false);
  });
});

describe("rotated secret derivation", () => {
  it("is deterministic for the same previous secret and nonce", () => {
    const previous = generateSecret();
    expect(deriveRotatedSecret(previous, "nonce-1")).toBe(deriveRotatedSecret(previous, "nonce-1"));
  });

  it("differs per nonce and per previous secret, and keeps the secret format", () => {
    const previous = generateSecret();
    const a = deriveRotatedSecret(previous, "nonce-1");
    expect(a).toMatch(/^[a-z2-7]{32}$/);
    expect(deriveRotatedSecret(previous, "nonce-2")).not.toBe(a);
    expect(deriveRotatedSecret(generateSecret(), "nonce-1")).not.toBe(a);
  });
});

describe("digest encoding", () => {
  it("matches @oslojs/encoding's base64url for every length and byte value", async () => {
    const { encodeBase64urlNoPadding } = await import("@oslojs/encoding");
    const { encodeDigest } = await import("../src/token.js");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(encodeDigest(bytes)).toBe(encodeBase64urlNoPadding(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
