import { InvalidArgumentError, TesseraConfigError } from "@tessera/core";
import { describe, expect, it, vi } from "vitest";
import { forwardKey, readForwardedSession, signForwardedSession } from "../src/forward.js";
import { setup } from "./helpers.js";

const SECRET = "correct horse battery staple, 32+ chars";

async function aSession() {
  const { login } = setup();
  const { session } = await login();
  return session;
}

describe("forwarded session header", () => {
  it("round-trips the session with its dates and data", async () => {
    const session = await aSession();
    const key = await forwardKey();
    const found = { session, reason: null, token: "t.k", source: "cookie" as const, issued: true };
    const value = await signForwardedSession(found, key);
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const verdict = await readForwardedSession(value, key);
    expect(verdict).toEqual({ status: "verified", guest: null, ...found });
  });

  it("round-trips a guest session with its token, and refuses a verdict naming a session and a guest", async () => {
    const { sessions, login } = setup();
    const { guest, token } = await sessions.createGuest({ data: { cart: ["sku-1"] } });
    const key = await forwardKey();
    const found = {
      session: null,
      guest,
      reason: null,
      token,
      source: "cookie" as const,
      issued: false,
    };
    const verdict = await readForwardedSession(await signForwardedSession(found, key), key);
    expect(verdict).toEqual({ status: "verified", ...found });
    if (verdict.status !== "verified") throw new Error("not verified");
    expect(verdict.guest?.expiresAt).toBeInstanceOf(Date);

    const { session } = await login();
    const both = await signForwardedSession({ ...found, session }, key);
    expect(await readForwardedSession(both, key)).toEqual({ status: "invalid" });
  });

  it("reports a missing header as missing, not as no session", async () => {
    expect(await readForwardedSession(null, await forwardKey())).toEqual({ status: "missing" });
  });

  it("refuses a tampered payload, a wrong key and garbage", async () => {
    const session = await aSession();
    const key = await forwardKey();
    const value = await signForwardedSession(
      { session, reason: null, token: null, source: null, issued: false },
      key,
    );
    const [version, body, mac] = value.split(".");
    const admin = btoa(
      JSON.stringify({ s: { ...session, userId: "admin" }, r: null, t: Date.now() }),
    ).replace(/=+$/, "");
    for (const forged of [
      `${version}.${admin}.${mac}`,
      `${version}.${body}.${mac!.slice(0, -2)}AA`,
      `v2.${body}.${mac}`,
      `${value}.extra`,
      "v1..",
      "v1.%%%.%%%",
      "x".repeat(20_000),
    ]) {
      expect(await readForwardedSession(forged, key), forged.slice(0, 40)).toEqual({
        status: "invalid",
      });
    }
    const otherKey = await forwardKey(SECRET);
    expect(await readForwardedSession(value, otherKey)).toEqual({ status: "invalid" });
  });

  it("refuses a verdict older than a minute, or from the future", async () => {
    const key = await forwardKey();
    const now = Date.now();
    const old = await signForwardedSession(
      { session: null, reason: null, token: null, source: null, issued: false },
      key,
      now - 61_000,
    );
    expect(await readForwardedSession(old, key, now)).toEqual({ status: "invalid" });
    const future = await signForwardedSession(
      { session: null, reason: null, token: null, source: null, issued: false },
      key,
      now + 30_000,
    );
    expect(await readForwardedSession(future, key, now)).toEqual({ status: "invalid" });
    const recent = await signForwardedSession(
      { session: null, reason: null, token: null, source: null, issued: false },
      key,
      now - 5_000,
    );
    expect(await readForwardedSession(recent, key, now)).toMatchObject({ status: "verified" });
  });

  it("shares one per-process key between separately loaded copies (proxy and app graphs)", async () => {
    const first = await forwardKey();
    vi.resetModules();
    const copy: typeof import("../src/forward.js") = await import(
      /* @vite-ignore */ `../src/forward.js?copy=${Date.now()}`
    );
    expect(copy.forwardKey).not.toBe(forwardKey); // really a second module instance
    const second = await copy.forwardKey();
    expect(second).toBe(first);
    const value = await copy.signForwardedSession(
      { session: null, reason: "expired", token: null, source: null, issued: false },
      second,
    );
    expect(await readForwardedSession(value, first)).toMatchObject({
      status: "verified",
      session: null,
      reason: "expired",
    });
  });

  it("derives the same key from the same secret in another process", async () => {
    const key = await forwardKey(SECRET);
    const value = await signForwardedSession(
      { session: null, reason: null, token: null, source: null, issued: false },
      key,
    );
    const elsewhere = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    expect(await readForwardedSession(value, elsewhere)).toMatchObject({ status: "verified" });
  });

  it("refuses to forward a session whose data does not fit in a header", async () => {
    const session = await aSession();
    const huge = { ...session, data: { blob: "x".repeat(13_000) } };
    await expect(
      signForwardedSession(
        { session: huge, reason: null, token: null, source: null, issued: false },
        await forwardKey(),
      ),
    ).rejects.toThrow(InvalidArgumentError);
  });

  it("refuses a secret shorter than 32 characters", () => {
    expect(() => forwardKey("too short")).toThrow(TesseraConfigError);
    expect(() => forwardKey(42 as never)).toThrow(TesseraConfigError);
  });
});
