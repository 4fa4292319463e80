/** createDbsc refuses options that make no sense, at start, with TesseraConfigError. */
import { createSessions, MemoryStore, TesseraConfigError } from "@tessera/core";
import { serializeCookie } from "@tessera/core/http";
import { makeSessionKey, signProof } from "@tessera/test-kit";
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
      { allowedRefreshInitiators: ["https://example.com"] },
      { allowedRefreshInitiators: ["*example.com"] },
      { allowedRefreshInitiators: ["Example.com"] },
      { allowedRefreshInitiators: "example.com" as never },
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

  it("matches excluded paths as the draft's scope rules do", () => {
    const dbsc = createDbsc(sessions, { excludePaths: ["/static", "/img/"] });
    for (const path of ["/static", "/static/app.js", "/img/", "/img/a.png"]) {
      expect(dbsc.excludes?.(path), path).toBe(true);
    }
    for (const path of ["/staticky", "/", "/img", "/api/static", null, undefined]) {
      expect(dbsc.excludes?.(path), String(path)).toBe(false);
    }
    expect(createDbsc(sessions).excludes?.("/static")).toBe(false);
  });

  it("lists allowedRefreshInitiators in the session instructions", async () => {
    const plain = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
    const dbsc = createDbsc(plain, { allowedRefreshInitiators: ["*.example.com", "embed.test"] });
    const { session } = await plain.create({ userId: "u" });
    const offer = await dbsc.offer(session.id);
    const challenge = /challenge="([^"]+)"/.exec(offer!["secure-session-registration"]!)![1]!;
    const proof = await signProof(await makeSessionKey(), challenge, { withJwk: true });
    const outcome = await dbsc.register(
      {
        method: "POST",
        path: "/tessera/dbsc/register",
        header: (name) => (name === "secure-session-response" ? `"${proof}"` : null),
      },
      session,
      {},
    );
    expect(outcome.answer.status).toBe(200);
    expect(JSON.parse(outcome.answer.body).allowed_refresh_initiators).toEqual([
      "*.example.com",
      "embed.test",
    ]);
  });
});
