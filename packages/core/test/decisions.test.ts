/**
 * The decisions as pure functions (src/decisions/*.ts): each test hands a record and the
 * request's facts to the decision and reads what it would do (result, action, events), with no
 * store and no clock. Named after the rules they pin.
 */
import { describe, expect, it } from "vitest";
import type { ResolvedBinding } from "../src/binding.js";
import { decideCreate, decideGuest } from "../src/decisions/create.js";
import {
  checkReason,
  classNamed,
  decideLimit,
  impersonationRefusal,
  limitOrder,
  liveUnder,
  policyOf,
  upgradedData,
} from "../src/decisions/policy.js";
import { decideBind, decideUpdate } from "../src/decisions/update.js";
import {
  decideValidate,
  deviceUnbound,
  NO_EPOCHS,
  type ValidateFacts,
} from "../src/decisions/validate.js";
import { addBoundCookie } from "../src/device-binding.js";
import { InvalidArgumentError, TesseraConfigError } from "../src/errors.js";
import type { ResolvedPolicy } from "../src/options.js";
import { isFresh } from "../src/rules.js";
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

  it("rule unconfirmed-rotation: a re-send that does not derive the stored secret sends no token", () => {
    const { record, token } = login();
    const rotation = decideValidate(record, facts(token), 5 * MINUTE);
    const next = rotation.action as SessionRecord;
    // The record's nonce no longer leads from the previous secret to the current one (a record
    // changed under the request, or written by something else): nothing is re-sent or written.
    const changedUnder = { ...next, rotationNonce: "another-nonce" };
    const again = decideValidate(changedUnder, facts(token), 6 * MINUTE);
    expect(again.result).toEqual({ ok: false, reason: "invalid-secret" });
    expect(again.action).toBeNull();
    expect(again.events.map((event) => event.type)).toEqual(["session.invalid_secret"]);
  });

  it("rule freshness: the pre-step-up secret ends the step-up's freshness once, then writes nothing", () => {
    const { record, token } = login();
    const stepUp = decideValidate(record, facts(token, { mode: "reauthenticate" }), MINUTE);
    const stepped = stepUp.action as SessionRecord;
    expect(stepUp.result.ok && stepUp.result.session?.fresh).toBe(true);
    // The step-up's response was lost: the old cookie comes back while the step-up is fresh.
    const copy = decideValidate(stepped, facts(token), 2 * MINUTE);
    expect(copy.result.ok && copy.result.session?.fresh).toBe(false);
    const ended = copy.action as SessionRecord;
    expect(ended.freshUntil).toBe(2 * MINUTE);
    // Again, freshness already ended: re-sent the same token, and no write on every request.
    const again = decideValidate(ended, facts(token), 3 * MINUTE);
    expect(again.result.ok && again.result.session?.fresh).toBe(false);
    expect(again.result.ok && again.result.token).toBe(copy.result.ok && copy.result.token);
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
    expect(decision.events.map(({ type, detail }) => ({ type, detail }))).toEqual([
      { type: "session.dbsc_refused", detail: "missing-bound-cookie" },
    ]);
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

describe("policy decisions", () => {
  const strict: ResolvedPolicy = { ...policy, name: "admin", idleMs: 5 * MINUTE };
  const withAdmin = new Map([...policies, ["admin", strict]]);

  it("rule class-settings: a record's settings come from its class at decision time", () => {
    const { record, token } = login();
    const admin = { ...record, policy: "admin" };
    // Ten minutes idle: live under the default class, dead under the admin one (5 minutes).
    const loose = decideValidate(record, facts(token), 10 * MINUTE);
    expect(loose.result.ok).toBe(true);
    const tight = decideValidate(admin, facts(token, { policies: withAdmin }), 10 * MINUTE);
    expect(tight.result).toEqual({ ok: false, reason: "expired" });
    expect(liveUnder(record, strict, 6 * MINUTE)).toBe(false);
    expect(liveUnder(record, policy, 6 * MINUTE)).toBe(true);
  });

  it("rule class-removed: a session whose class is gone is ended, never moved to another", () => {
    const { record, token } = login();
    const orphan = { ...record, policy: "retired" };
    expect(policyOf(orphan, policies)).toBeNull();
    const decision = decideValidate(orphan, facts(token), MINUTE);
    expect(decision.result).toEqual({ ok: false, reason: "not-found" });
    expect(decision.action).toBe("delete");
    expect(decision.events).toMatchObject([{ type: "session.revoked", detail: "policy-removed" }]);
  });

  it("rule class-named: an unknown class is a configuration error naming it", () => {
    expect(classNamed(undefined, policies, "default")).toBe(policy);
    expect(classNamed("admin", withAdmin, "default")).toBe(strict);
    expect(() => classNamed("bankng", policies, "default")).toThrow(TesseraConfigError);
    expect(() => classNamed("bankng", policies, "default")).toThrow(/"bankng"/);
  });

  it("rule requires-device-bound: such a class refuses an unbound session but on the DBSC routes", () => {
    const { record, token } = login();
    const kiosk = { ...policy, name: "kiosk", requireDeviceBound: true };
    const withKiosk = new Map([["kiosk", kiosk]]);
    const mine = { ...record, policy: "kiosk" };
    const refused = decideValidate(mine, facts(token, { policies: withKiosk }), MINUTE);
    expect(refused.result).toEqual({ ok: false, reason: "device-unbound" });
    expect(refused.action).toBeNull();
    // An audit log tells this refusal apart from a copied cookie of a bound session.
    expect(refused.events.map(({ type, detail }) => ({ type, detail }))).toEqual([
      { type: "session.dbsc_refused", detail: "device-binding-required" },
    ]);
    expect(refused.events[0]?.record?.id).toBe(record.id);
    const route = facts(token, { policies: withKiosk, dbscRoute: "registration" });
    expect(decideValidate(mine, route, MINUTE).result.ok).toBe(true);
  });

  it("rule impersonation-never-fresh: no freshness at creation, nor after a step-up", () => {
    const created = decideCreate({ userId: "u1" }, 0, policy, { impersonatedBy: "admin" });
    expect(created.record.impersonatedBy).toBe("admin");
    expect(created.record.freshUntil).toBe(0);
    const stepped = decideValidate(
      created.record,
      facts(created.token, { mode: "reauthenticate" }),
      MINUTE,
    );
    expect(stepped.result).toMatchObject({ ok: true, session: { fresh: false } });
    expect(isFresh({ ...created.record, freshUntil: 10 * MINUTE }, MINUTE, true)).toBe(false);
  });
});

describe("rule guests", () => {
  function guest(at = 0) {
    const guestClass = { ...policy, name: "guest" };
    return decideGuest({ data: { cart: ["a"] } }, at, guestClass);
  }
  const guestPolicies = new Map([...policies, ["guest", { ...policy, name: "guest" }]]);

  it("a guest record has no user, class guest, and is never fresh", () => {
    const { record } = guest();
    expect(record).toMatchObject({ userId: null, policy: "guest", impersonatedBy: null });
    expect(record.freshUntil).toBe(record.createdAt);
  });

  it("a guest token is not-found unless the caller accepts guests, and never for a step-up", () => {
    const { record, token } = guest();
    const f = { policies: guestPolicies };
    expect(decideValidate(record, facts(token, f), MINUTE).result).toEqual({
      ok: false,
      reason: "not-found",
    });
    const accepted = decideValidate(record, facts(token, { ...f, guests: true }), MINUTE);
    expect(accepted.result).toMatchObject({
      ok: true,
      session: null,
      guest: { id: record.id, userId: null, data: { cart: ["a"] } },
    });
    const stepUp = facts(token, { ...f, guests: true, mode: "reauthenticate" });
    expect(decideValidate(record, stepUp, MINUTE).result.ok).toBe(false);
  });

  it("a guest is not bound: a moved client fires no binding event", () => {
    const { record, token } = guest();
    const moved = facts(token, {
      policies: guestPolicies,
      guests: true,
      client: { ip: "198.51.100.9", ua: "firefox/133/linux" },
    });
    const decision = decideValidate(record, moved, MINUTE);
    expect(decision.result.ok).toBe(true);
    expect(decision.events).toEqual([]);
  });

  it("a guest's data goes under the login's, or through merge", () => {
    expect(upgradedData({ cart: [1], theme: "dark" }, { theme: "light" }, undefined)).toEqual({
      cart: [1],
      theme: "light",
    });
    const merged = upgradedData({ cart: [1] }, { cart: [2] }, (g, l) => ({
      cart: [...(g.cart as number[]), ...(l.cart as number[])],
    }));
    expect(merged).toEqual({ cart: [1, 2] });
  });
});

describe("rule session-limit", () => {
  const limited = (when: "evict-oldest" | "refuse"): ResolvedPolicy => ({
    ...policy,
    name: "banking",
    limit: { perUser: 2, when },
  });
  function sessionAt(createdAt: number, id: string, policyName = "banking") {
    return { ...login(createdAt).record, id: id.repeat(24), policy: policyName };
  }

  it("evict-oldest keeps the N newest by (createdAt, id) and names the rest", () => {
    const a = sessionAt(0, "a");
    const b = sessionAt(MINUTE, "b");
    const c = sessionAt(MINUTE, "c");
    const other = sessionAt(0, "d", "default");
    const decision = decideLimit([a, b, c, other], c, limited("evict-oldest"), 2 * MINUTE);
    expect(decision.evict.map((r) => r.id)).toEqual([a.id]);
    expect(decision.ownEvicted).toBe(false);
    expect(decision.events).toMatchObject([
      { type: "session.limit_evicted", sessionIds: [a.id], detail: "banking", count: 1 },
    ]);
  });

  it("refuse keeps the N oldest: the login beyond them ends itself", () => {
    const a = sessionAt(0, "a");
    const b = sessionAt(MINUTE, "b");
    const c = sessionAt(MINUTE, "c");
    const decision = decideLimit([a, b, c], c, limited("refuse"), 2 * MINUTE);
    expect(decision.evict.map((r) => r.id)).toEqual([c.id]);
    expect(decision.ownEvicted).toBe(true);
  });

  it("counts the login even when the store's list does not show it yet, and no dead record", () => {
    const a = sessionAt(0, "a");
    const b = sessionAt(MINUTE, "b");
    const dead = { ...sessionAt(0, "e"), expiresAt: MINUTE };
    const decision = decideLimit([a, dead], b, limited("evict-oldest"), 2 * MINUTE);
    expect(decision.evict).toEqual([]);
    const c = sessionAt(2 * MINUTE, "c");
    expect(decideLimit([a, b], c, limited("evict-oldest"), 2 * MINUTE).evict).toEqual([a]);
  });

  it("every login of a burst ends the same sessions: the kept N are never ended", () => {
    const all = ["a", "b", "c", "d", "e"].map((id) => sessionAt(0, id));
    for (const when of ["evict-oldest", "refuse"] as const) {
      const keep = when === "refuse" ? all.slice(0, 2) : all.slice(-2);
      for (const own of all) {
        // Whatever subset a login saw, it never ends one of the kept.
        const seen = all.filter((r, i) => r === own || i % 2 === 0 || keep.includes(r));
        const evicted = decideLimit(seen, own, limited(when), MINUTE).evict;
        for (const kept of keep) expect(evicted).not.toContain(kept);
      }
    }
    expect([...all].reverse().sort(limitOrder)).toEqual(all);
  });
});

describe("rule impersonation", () => {
  const base = (admin: ReturnType<typeof login>["record"] | null) => ({
    admin,
    adminUserId: "u1",
    targetUserId: "bob",
    adminMay: true,
    targetMay: false,
    allowAdminTargets: false,
    at: MINUTE,
  });

  it("allows an admin on a live session of their own to act as a user", () => {
    expect(impersonationRefusal(base(login().record))).toBeNull();
  });

  it("refuses from an impersonation, without permission, for an admin target, for oneself", () => {
    const { record } = login();
    expect(impersonationRefusal({ ...base({ ...record, impersonatedBy: "root" }) })).toBe("nested");
    expect(impersonationRefusal({ ...base(record), adminMay: false })).toBe("not-allowed");
    expect(impersonationRefusal({ ...base(record), targetMay: true })).toBe("admin-target");
    expect(
      impersonationRefusal({ ...base(record), targetMay: true, allowAdminTargets: true }),
    ).toBeNull();
    expect(impersonationRefusal({ ...base(record), targetUserId: "u1" })).toBe("self");
  });

  it("refuses from a session that ended or is someone else's", () => {
    const { record } = login();
    expect(impersonationRefusal(base(null))).toBe("admin-session-ended");
    expect(impersonationRefusal({ ...base(record), at: 31 * MINUTE })).toBe("admin-session-ended");
    expect(impersonationRefusal({ ...base(record), adminUserId: "mallory" })).toBe(
      "admin-session-ended",
    );
  });

  it("needs a reason", () => {
    expect(checkReason("  support ticket 42 ")).toBe("support ticket 42");
    expect(() => checkReason("")).toThrow(InvalidArgumentError);
    expect(() => checkReason(undefined)).toThrow(InvalidArgumentError);
  });
});
