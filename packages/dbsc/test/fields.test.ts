/** The structured-field helpers: the draft's sf-strings, and the bare forms Chromium 156 sends. */
import { describe, expect, it } from "vitest";
import {
  challengeHeader,
  parseProofField,
  parseSessionIdField,
  parseSfString,
  registrationHeader,
} from "../src/fields.js";

const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJjIn0.c2lnbmF0dXJl";

describe("structured fields", () => {
  it("reads an sf-string, ignoring parameters, and refuses anything else", () => {
    expect(parseSfString('"abc"')).toBe("abc");
    expect(parseSfString(' "a\\"b\\\\c";x=1 ')).toBe('a"b\\c');
    for (const bad of ['"abc', "abc", '"a"b', '"\\x"', '"é"', null, undefined]) {
      expect(parseSfString(bad)).toBeNull();
    }
  });

  it("reads a proof quoted (the draft) or bare (Chromium), nothing else", () => {
    expect(parseProofField(`"${JWT}"`)).toBe(JWT);
    expect(parseProofField(JWT)).toBe(JWT);
    expect(parseProofField(`${JWT};x=1`)).toBeNull();
    expect(parseProofField("not a jwt")).toBeNull();
  });

  it("reads a session id quoted (the draft) or bare (Chromium), nothing else", () => {
    expect(parseSessionIdField('"abc234"')).toBe("abc234");
    expect(parseSessionIdField("abc234")).toBe("abc234");
    expect(parseSessionIdField("a b")).toBeNull();
    expect(parseSessionIdField("x".repeat(129))).toBeNull();
  });

  it("writes the registration and challenge headers as the draft's examples do", () => {
    expect(registrationHeader(["ES256", "RS256"], "/reg", "cv")).toBe(
      '(ES256 RS256);path="/reg";challenge="cv"',
    );
    expect(challengeHeader("new challenge", "my session")).toBe('"new challenge";id="my session"');
    expect(() => registrationHeader(["ES256"], "/rég", "cv")).toThrow(TypeError);
  });
});
