/**
 * The public views of a record (`Session`, `GuestSession`) and their JSON forms, which Next.js
 * hands across the proxy / render boundary: what an application reads about a session.
 */
import { describe, expect, it } from "vitest";
import {
  guestFromJson,
  guestToJson,
  guestView,
  sessionFromJson,
  sessionToJson,
  sessionView,
  type UserRecord,
} from "../src/session.js";
import type { SessionRecord, StoredDeviceBinding } from "../src/store/index.js";
import { storedRecord } from "./records.js";

const MINUTE = 60_000;
const CHROME = "chrome/131/macos";
const FIREFOX = "firefox/133/linux";

function record(overrides: Partial<SessionRecord> = {}): UserRecord {
  return storedRecord({
    data: { theme: "dark" },
    freshUntil: 10 * MINUTE,
    lastActiveAt: 5 * MINUTE,
    expiresAt: 35 * MINUTE,
    absoluteExpiresAt: 24 * 60 * MINUTE,
    client: { ip: "203.0.113.7", ua: CHROME },
    ...overrides,
  }) as UserRecord;
}

const bound: StoredDeviceBinding = {
  key: { alg: "ES256", jwk: { kty: "EC", crv: "P-256", x: "x", y: "y" }, thumbprint: "t" },
  challenges: [],
  spent: [],
  cookies: [],
  registeredAt: MINUTE,
};

describe("the Session view", () => {
  it("ends at the earlier of the idle and the absolute expiry", () => {
    expect(sessionView(record(), MINUTE).expiresAt).toEqual(new Date(35 * MINUTE));
    const late = record({ expiresAt: 30 * MINUTE, absoluteExpiresAt: 20 * MINUTE });
    expect(sessionView(late, MINUTE).expiresAt).toEqual(new Date(20 * MINUTE));
    expect(sessionView(late, MINUTE).absoluteExpiresAt).toEqual(new Date(20 * MINUTE));
    expect(guestView({ ...late, userId: null }).expiresAt).toEqual(new Date(20 * MINUTE));
  });

  it("says deviceBound only once a key is registered, not while a registration is pending", () => {
    expect(sessionView(record(), MINUTE).deviceBound).toBe(false);
    expect(sessionView(record({ dbsc: bound }), MINUTE).deviceBound).toBe(true);
    const pending = { ...bound, key: null, registeredAt: null };
    expect(sessionView(record({ dbsc: pending }), MINUTE).deviceBound).toBe(false);
  });

  it("describes each request's own client, whichever field differs from the one before", () => {
    const chrome = sessionView(record(), MINUTE).client;
    expect(chrome).toMatchObject({ ip: "203.0.113.7", browser: "chrome 131", os: "macos" });
    // Same address, another browser: not the previous request's view.
    const firefox = sessionView(record({ client: { ip: "203.0.113.7", ua: FIREFOX } }), MINUTE);
    expect(firefox.client).toMatchObject({ browser: "firefox 133", os: "linux" });
    const phone = { ip: "203.0.113.7", ua: FIREFOX, deviceId: "phone-1" };
    expect(sessionView(record({ client: phone }), MINUTE).client.deviceId).toBe("phone-1");
    expect(sessionView(record({ client: { ua: FIREFOX } }), MINUTE).client).toEqual({
      browser: "firefox 133",
      os: "linux",
    });
    // Each view is the caller's own: changing one does not change the next.
    chrome.browser = "changed";
    expect(sessionView(record(), MINUTE).client.browser).toBe("chrome 131");
  });
});

describe("the JSON forms", () => {
  it("read back the session they were made from", () => {
    const session = sessionView(record({ dbsc: bound, impersonatedBy: "admin" }), MINUTE, true);
    const json = JSON.parse(JSON.stringify(sessionToJson(session)));
    expect(json.expiresAt).toBe(35 * MINUTE);
    expect(sessionFromJson(json)).toEqual(session);
    const guest = guestView(record({ userId: null }));
    expect(guestFromJson(JSON.parse(JSON.stringify(guestToJson(guest))))).toEqual(guest);
  });

  it("refuse anything that is not one, field by field", () => {
    const session = sessionToJson(sessionView(record(), MINUTE));
    const guest = guestToJson(guestView(record({ userId: null })));
    for (const junk of [null, undefined, "session", 42, []]) {
      expect(sessionFromJson(junk)).toBeNull();
      expect(guestFromJson(junk)).toBeNull();
    }
    const badSessions: Record<string, unknown>[] = [
      { id: 7 },
      { userId: null },
      { data: null },
      { data: "x" },
      { client: null },
      { fresh: "yes" },
      { bindingChanged: 1 },
      { createdAt: "0" },
      { expiresAt: Number.NaN },
      { absoluteExpiresAt: Number.POSITIVE_INFINITY },
      { authenticatedAt: undefined },
      { lastActiveAt: null },
    ];
    for (const change of badSessions) {
      expect(sessionFromJson({ ...session, ...change }), JSON.stringify(change)).toBeNull();
    }
    const badGuests: Record<string, unknown>[] = [
      { id: 7 },
      { userId: "u1" },
      { userId: undefined },
      { data: null },
      { data: "x" },
      { policy: 3 },
      { createdAt: "0" },
      { lastActiveAt: Number.NaN },
      { expiresAt: Number.NEGATIVE_INFINITY },
      { absoluteExpiresAt: undefined },
    ];
    for (const change of badGuests) {
      expect(guestFromJson({ ...guest, ...change }), JSON.stringify(change)).toBeNull();
    }
  });

  it("fill the fields an older version did not write, and never trust a non-boolean deviceBound", () => {
    const {
      policy: _policy,
      impersonatedBy: _by,
      deviceBound: _bound,
      ...old
    } = sessionToJson(sessionView(record({ dbsc: bound }), MINUTE));
    const read = sessionFromJson(old);
    expect(read).toMatchObject({ policy: "default", impersonatedBy: null, deviceBound: false });
    expect(sessionFromJson({ ...old, deviceBound: "true" })?.deviceBound).toBe(false);
  });
});
