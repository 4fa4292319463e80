import { createSessions, InvalidArgumentError, MemoryStore } from "@tessera/core";
import { describe, expect, it } from "vitest";
import { toNextCookie } from "../src/cookie.js";

const TOKEN = "abcdefghijklmnopqrstuvwx.abcdefghijklmnopqrstuvwxyz234567";

describe("toNextCookie", () => {
  it("carries every attribute of core's secure default cookie", () => {
    const sessions = createSessions({ store: new MemoryStore(), idleTimeout: 1800 });
    expect(toNextCookie(sessions.cookie.serialize(TOKEN))).toEqual({
      name: "__Host-session",
      value: TOKEN,
      maxAge: 1800,
      path: "/",
      httpOnly: true,
      secure: true,
      sameSite: "lax",
    });
  });

  it("keeps a domain, a strict SameSite and an insecure development cookie as configured", () => {
    const shared = createSessions({
      store: new MemoryStore(),
      cookie: { domain: "example.com", sameSite: "strict" },
    });
    expect(toNextCookie(shared.cookie.serialize(TOKEN))).toMatchObject({
      name: "__Secure-session",
      domain: "example.com",
      sameSite: "strict",
      secure: true,
    });
    const dev = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
    expect(toNextCookie(dev.cookie.serialize(TOKEN))).toMatchObject({
      name: "session",
      secure: false,
      httpOnly: true,
    });
  });

  it("turns a clearing cookie into one that also expires in the past", () => {
    const sessions = createSessions({ store: new MemoryStore() });
    expect(toNextCookie(sessions.cookie.blank())).toMatchObject({
      name: "__Host-session",
      value: "",
      maxAge: 0,
      expires: new Date(0),
    });
  });

  it("rejects what is not a Set-Cookie value", () => {
    expect(() => toNextCookie("")).toThrow(InvalidArgumentError);
    expect(() => toNextCookie("=value")).toThrow(InvalidArgumentError);
  });
});
