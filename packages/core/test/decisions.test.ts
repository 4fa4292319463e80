/**
 * The decisions as pure functions (src/decisions/*.ts): each test hands a record and the
 * request's facts to the decision and reads what it would do (result, action, events), with no
 * store and no clock. Named after the rules they pin.
 */
import { describe, expect, it } from "vitest";
import type { ResolvedBinding } from "../src/binding.js";
import { decideCreate } from "../src/decisions/create.js";
import { decideBind, decideUpdate } from "../src/decisions/update.js";
import {
  decideValidate,
  deviceUnbound,
  NO_EPOCHS,
  type ValidateFacts,
} from "../src/decisions/validate.js";
import { addBoundCookie } from "../src/device-binding.js";
import type { ResolvedPolicy } from "../src/options.js";
import type { SessionRecord, StoredClient } from "../src/store/index.js";
import { hashSecret, parseToken } from "../src/token.js";

const MINUTE = 60_000;
const binding: ResolvedBinding = {
  ip: "soft",
  userAgent: "soft",
  deviceId: "strict",
  ipv4Prefix: 24,
  ipv6Prefix: 64,
  compare: undefined,
};
const policy: ResolvedPolicy = {
  name: "default",
  idleMs: 30 * MINUTE,
  absoluteMs: 24 * 60 * MINUTE,
  intervalMs: 5 * MINUTE,
  graceMs: 30_000,
  freshMs: 10 * MINUTE,
  idleSeconds: 30 * 60,
  binding,
  persistent: true,
  limit: null,
  requireDeviceBound: false,
};
const policies: ReadonlyMap<string, ResolvedPolicy> = new Map([["default", policy]]);
const HOME: StoredClient = { ip: "203.0.113.7", ua: "chrome/131/macos" };

function login(at = 0) {
  const created = decideCreate({ userId: "u1", client: { ip: HOME.ip } }, at, policy);
  const record: SessionRecord = { ...created.record, client: HOME };
  return { record, token: created.token, events: created.events };
}

function facts(token: string, overrides: Partial<ValidateFacts> = {}): ValidateFacts {
  const parsed = parseToken(token)!;
  return {
    ...parsed,
    hash: hashSecret(parsed.secret),
    client: HOME,
    boundCookieHash: null,
    dbscRoute: null,
    mode: "validate",
    policies,
    guests: false,
    epochs: NO_EPOCHS,
    ...overrides,
  };
}

describe("decideValidate", () => {
  it("rule hot-path: nothing due, no action, no events", () => {
    const { record, token } = login();
    const decision = decideValidate(record, facts(token), MINUTE);
    expect(decision.action).toBeNull();
    expect(decision.events).toEqual([]);
    expect(decision.result).toMatchObject({ ok: true, token: null });
  });

  it("rule timeouts: an expired record is deleted and reported", () => {
    const { record, token } = login();
    const decision = decideValidate(record, facts(token), 31 * MINUTE);
    expect(decision.result).toEqual({ ok: false, reason: "expired" });
    expect(decision.action).toBe("delete");
    expect(decision.events.map((event) => event.type)).toEqual(["session.expired"]);
  });

  it("rule revocation-epochs: a record created before an epoch is not-found and deleted", () => {
    const { record, token } = login(10 * MINUTE);
    for (const epochs of [
      { global: 10 * MINUTE + 1, user: 0 },
      { global: 0, user: 10 * MINUTE + 1 },
    ]) {
      const decision = decideValidate(record, facts(token, { epochs }), 11 * MINUTE);
      expect(decision.result).toEqual({ ok: false, reason: "not-found" });
      expect(decision.action).toBe("delete");
      expect(decision.events).toMatchObject([{ type: "session.revoked", detail: "epoch" }]);
    }
    // An epoch at (or before) the creation leaves it alone: later logins survive a kill switch.
    const epochs = { global: 10 * MINUTE, user: 10 * MINUTE };
    expect(decideValidate(record, facts(token, { epochs }), 11 * MINUTE).result.ok).toBe(true);
  });

  it("rule rotation: a due rotation writes the next record and plans the rotated event", () => {
    const { record, token } = login();
    const decision = decideValidate(record, facts(token), 5 * MINUTE);
    expect(decision.action).not.toBeNull();
    expect(decision.action).not.toBe("delete");
    expect(decision.result.ok && decision.result.token).not.toBe(token);
    expect(decision.events.map((event) => event.type)).toEqual(["session.rotated"]);
  });

  it("rule unconfirmed-rotation: the previous secret is re-sent the new token, without a write", () => {
    const { record, token } = login();
    const rotation = decideValidate(record, facts(token), 5 * MINUTE);
    const next = rotation.action as SessionRecord;
    const again = decideValidate(next, facts(token), 6 * MINUTE);
    expect(again.result.ok && again.result.token).toBe(rotation.result.ok && rotation.result.token);
    expect(again.action).toBeNull();
  });

  it("rule reuse-detection: a retired secret outside grace deletes the record and reports theft", () => {
    const { record, token } = login();
    const rotation = decideValidate(record, facts(token), 5 * MINUTE);
    const next = rotation.action as SessionRecord;
    const newToken = rotation.result.ok ? rotation.result.token! : "";
    const confirmed = decideValidate(next, facts(newToken), 5 * MINUTE + 1).action as SessionRecord;
    const theft = decideValidate(confirmed, facts(token), 6 * MINUTE);
    expect(theft.result).toEqual({ ok: false, reason: "reused" });
    expect(theft.action).toBe("delete");
    expect(theft.events.map((event) => event.type)).toEqual([
      "session.reuse_detected",
      "session.revoked",
    ]);
  });

  it("rule reuse-detection: a secret never issued is invalid-secret and changes nothing", () => {
    const { record } = login();
    const guess = `${record.id}.${"a".repeat(32)}`;
    const decision = decideValidate(record, facts(guess), MINUTE);
    expect(decision.result).toEqual({ ok: false, reason: "invalid-secret" });
    expect(decision.action).toBeNull();
  });

  it("rule binding: a request without a User-Agent is no change and writes nothing", () => {
    const { record, token } = login();
    const decision = decideValidate(record, facts(token, { client: { ip: HOME.ip } }), MINUTE);
    expect(decision.action).toBeNull();
    expect(decision.result).toMatchObject({ ok: true, session: { bindingChanged: false } });
  });

  it("rule binding: a moved client is written once, keeping fields the request lacks", () => {
    const { record, token } = login();
    const moved = { ip: "198.51.100.9" };
    const decision = decideValidate(record, facts(token, { client: moved }), MINUTE);
    const next = decision.action as SessionRecord;
    expect(next.client).toEqual({ ...HOME, ip: "198.51.100.9" });
    expect(decision.events.map((event) => event.detail)).toEqual(["soft"]);
    // Deciding again on the written record: nothing more to write.
    expect(decideValidate(next, facts(token, { client: moved }), MINUTE).action).toBeNull();
  });

  it("rule freshness: a forced rotation with an earlier secret is stale and changes nothing", () => {
    const { record, token } = login();
    const rotation = decideValidate(record, facts(token), 5 * MINUTE);
    const next = rotation.action as SessionRecord;
    const stale = decideValidate(next, facts(token, { mode: "rotate" }), 5 * MINUTE + 1);
    expect(stale.result).toEqual({ ok: false, reason: "stale" });
    expect(stale.action).toBeNull();
  });
});

describe("rule device-binding: safe by default", () => {
  function bound() {
    const { record, token } = login();
    const cookie = "bound-cookie-value";
    const dbsc = addBoundCookie(
      {
        key: { alg: "ES256", jwk: {} } as never,
        registeredAt: 0,
        challenges: [],
        cookies: [],
      } as never,
      hashSecret(cookie),
      10 * MINUTE,
      0,
    );
    return { record: { ...record, dbsc }, token, cookie };
  }

  it("refuses a device-bound session when the request shows no bound cookie", () => {
    const { record, token } = bound();
    const decision = decideValidate(record, facts(token), MINUTE);
    expect(decision.result).toEqual({ ok: false, reason: "device-unbound" });
    expect(decision.action).toBeNull();
    expect(decision.events.map((event) => event.detail)).toEqual(["missing-bound-cookie"]);
  });

  it("refuses it for a forced rotation and a step-up too", () => {
    const { record, token } = bound();
    for (const mode of ["rotate", "reauthenticate"] as const) {
      expect(decideValidate(record, facts(token, { mode }), MINUTE).result).toEqual({
        ok: false,
        reason: "device-unbound",
      });
    }
  });

  it("accepts it with its live bound cookie, and on the DBSC routes by name only", () => {
    const { record, token, cookie } = bound();
    const device = { boundCookieHash: hashSecret(cookie), dbscRoute: null };
    expect(decideValidate(record, facts(token, device), MINUTE).result.ok).toBe(true);
    expect(deviceUnbound(record, { boundCookieHash: null, dbscRoute: "refresh" }, MINUTE)).toBe(
      false,
    );
    const forged = { boundCookieHash: hashSecret("forged"), dbscRoute: null };
    expect(deviceUnbound(record, forged, MINUTE)).toBe(true);
    // Past the bound cookie's life, the cookie no longer counts.
    expect(deviceUnbound(record, device, 11 * MINUTE)).toBe(true);
  });
});

describe("decideUpdate and decideBind", () => {
  it("map the stored data on a copy, never the caller's object", () => {
    const { record } = login();
    const withData = { ...record, data: { n: 1 } };
    const next = decideUpdate(withData, (data) => ({ ...data, n: (data.n as number) + 1 }));
    expect(next.data).toEqual({ n: 2 });
    expect(withData.data).toEqual({ n: 1 });
    expect(decideBind(record, "laptop").client).toEqual({ ...HOME, deviceId: "laptop" });
  });
});
