/** createDbsc refuses options that make no sense, at start, with TesseraConfigError. */
import { createSessions, MemoryStore, TesseraConfigError } from "@tessera/core";
import { serializeCookie } from "@tessera/core/http";
import { describe, expect, it } from "vitest";
import { createDbsc } from "../src/index.js";

const sessions = createSessions({ store: new MemoryStore() });

describe("createDbsc options", () => {
  it("refuses bad paths, lifetimes and cookie names", () => {
    for (const options of [
      { registrationPath: "relative" },
      { refreshPath: "/réfresh" },
      { refreshPath: "/a?b" },
      { registrationPath: "/same", refreshPath: "/same" },
      { cookieTtl: 5 },
      { challengeTtl: 1.5 },
      { cookieTtl: 100_000 },
      { cookieName: "__Host-session" },
      { cookieName: "bad name" },
      { excludePaths: ["static"] },
    ]) {
      expect(() => createDbsc(sessions, options), JSON.stringify(options)).toThrow(
        TesseraConfigError,
      );
    }
    expect(() => createDbsc({} as never)).toThrow(TesseraConfigError);
  });

  it("names a __Host- bound cookie for a secure session cookie, a plain one otherwise", () => {
    expect(serializeCookie(createDbsc(sessions).clearCookie())).toBe(
      "__Host-tessera-bound=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    const plain = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
    expect(serializeCookie(createDbsc(plain).clearCookie())).toBe(
      "tessera-bound=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  it("serves only its two paths", () => {
    const dbsc = createDbsc(sessions, { registrationPath: "/r", refreshPath: "/f" });
    expect(dbsc.routeOf("/r")).toBe("registration");
    expect(dbsc.routeOf("/f")).toBe("refresh");
    expect(dbsc.routeOf("/r/")).toBeNull();
    expect(dbsc.routeOf(undefined)).toBeNull();
  });
});
