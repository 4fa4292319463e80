import {
  createSessions,
  MemoryStore,
  type SessionEvent,
  type SessionsOptions,
} from "@tessera/core";
import { describe, expect, it } from "vitest";
import {
  type Anomaly,
  type AnomalyDetectorsOptions,
  createAnomalyDetectors,
  distanceKm,
} from "../src/index.js";

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const PARIS = { latitude: 48.86, longitude: 2.35 };
const LONDON = { latitude: 51.51, longitude: -0.13 };
const NEW_YORK = { latitude: 40.71, longitude: -74.01 };
/** A toy geo-IP table: the documentation ranges of RFC 5737 placed in three cities. */
const PLACES: Record<string, typeof PARIS> = {
  "192.0.2": PARIS,
  "198.51.100": NEW_YORK,
  "203.0.113": LONDON,
};
const locate = (ip: string) => PLACES[ip.split(".").slice(0, 3).join(".")];

/** Real sessions on a MemoryStore whose events feed the detectors, on a clock the test moves. */
function watched(
  detectorOptions: AnomalyDetectorsOptions = {},
  sessionOptions: Partial<SessionsOptions> = {},
) {
  const anomalies: Anomaly[] = [];
  const detectors = createAnomalyDetectors({
    ...detectorOptions,
    onAnomaly: (anomaly) => {
      anomalies.push(anomaly);
    },
  });
  let at = Date.UTC(2026, 5, 1, 12);
  const now = () => at;
  const sessions = createSessions({
    store: new MemoryStore({ now: () => 0 }),
    now,
    idleTimeout: 24 * 3600,
    rotation: { interval: 60, grace: 5 },
    onEvent: detectors.observe,
    ...sessionOptions,
  });
  const wait = (seconds: number) => {
    at += seconds * 1000;
  };
  return { anomalies, detectors, sessions, wait };
}

/** Validates and follows the session's rotations, as a browser keeping its cookie does. */
function browser(sessions: ReturnType<typeof watched>["sessions"], token: string) {
  let current = token;
  return async (ip: string) => {
    const result = await sessions.validate(current, { ip, userAgent: FIREFOX });
    expect(result.ok).toBe(true);
    if (result.ok && result.token) current = result.token;
    return result;
  };
}

/** A wrong secret of the right shape for `token`'s session id. */
function guess(token: string, n: number): string {
  const [id, secret] = token.split(".") as [string, string];
  return `${id}.${String.fromCharCode(97 + (n % 26)).repeat(secret.length)}`;
}

/** Rotates `token`, confirms the new secret and replays the old one after grace: one reuse detection. */
async function replay(
  sessions: ReturnType<typeof watched>["sessions"],
  wait: (s: number) => void,
  userId: string,
  ip: string,
) {
  const { token } = await sessions.create({ userId, client: { ip, userAgent: FIREFOX } });
  wait(61);
  const rotated = await sessions.validate(token, { ip, userAgent: FIREFOX });
  if (!rotated.ok || !rotated.token) throw new Error("expected a rotation");
  await sessions.validate(rotated.token, { ip, userAgent: FIREFOX });
  wait(6);
  const stolen = await sessions.validate(token, { ip: "192.0.2.66", userAgent: FIREFOX });
  expect(stolen).toEqual({ ok: false, reason: "reused" });
}

describe("invalid secrets from one network prefix", () => {
  it("fires once the threshold is reached inside the window, naming the prefix and the targets", async () => {
    const { anomalies, sessions, wait } = watched({ invalidSecrets: { threshold: 5, window: 60 } });
    const victim = await sessions.create({ userId: "alice", client: { ip: "192.0.2.1" } });
    for (let n = 0; n < 5; n++) {
      wait(5);
      const result = await sessions.validate(guess(victim.token, n), {
        ip: `198.51.100.${n + 10}`,
      });
      expect(result).toEqual({ ok: false, reason: "invalid-secret" });
    }
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({
      type: "anomaly.invalid_secrets",
      ipPrefix: "198.51.100.0/24",
      count: 5,
      windowSeconds: 60,
      sessionIds: [victim.session.id],
      userIds: ["alice"],
    });
  });

  it("stays quiet below the threshold, when the guesses are spread past the window, or come from several prefixes", async () => {
    const { anomalies, sessions, wait } = watched({ invalidSecrets: { threshold: 5, window: 60 } });
    const victim = await sessions.create({ userId: "alice" });
    for (let n = 0; n < 4; n++)
      await sessions.validate(guess(victim.token, n), { ip: "198.51.100.9" });
    for (let n = 0; n < 8; n++) {
      wait(20); // one every 20 s: never five inside 60 s
      await sessions.validate(guess(victim.token, n), { ip: "203.0.113.9" });
    }
    for (let n = 0; n < 8; n++) {
      await sessions.validate(guess(victim.token, n), { ip: `10.0.${n}.1` });
    }
    expect(anomalies).toEqual([]);
  });

  it("alerts once per window, not once per event, while a flood goes on", async () => {
    const { anomalies, sessions, wait } = watched({ invalidSecrets: { threshold: 5, window: 60 } });
    const victim = await sessions.create({ userId: "alice" });
    for (let n = 0; n < 50; n++) {
      wait(1);
      await sessions.validate(guess(victim.token, n), { ip: "198.51.100.9" });
    }
    expect(anomalies).toHaveLength(1);
    wait(60);
    for (let n = 0; n < 5; n++)
      await sessions.validate(guess(victim.token, n), { ip: "198.51.100.9" });
    expect(anomalies).toHaveLength(2);
  });
});

describe("a burst of reuse detections", () => {
  it("fires when stolen tokens are replayed against several sessions within the window", async () => {
    const { anomalies, sessions, wait } = watched({ reuseBurst: { threshold: 3, window: 600 } });
    for (const user of ["alice", "bob", "carol"]) await replay(sessions, wait, user, "203.0.113.5");
    const burst = anomalies.filter((anomaly) => anomaly.type === "anomaly.reuse_burst");
    expect(burst).toHaveLength(1);
    expect(burst[0]).toMatchObject({
      count: 3,
      userIds: ["alice", "bob", "carol"],
      ipPrefixes: ["192.0.2.0/24"],
    });
  });

  it("stays quiet for reuse detections spread further apart than the window", async () => {
    const { anomalies, sessions, wait } = watched({ reuseBurst: { threshold: 3, window: 600 } });
    for (const user of ["alice", "bob", "carol", "dave"]) {
      await replay(sessions, wait, user, "203.0.113.5");
      wait(300);
    }
    expect(anomalies.filter((anomaly) => anomaly.type === "anomaly.reuse_burst")).toEqual([]);
  });
});

describe("impossible travel with a locate function", () => {
  it("fires when a session moves from Paris to New York in ten minutes", async () => {
    const { anomalies, sessions, wait } = watched({ impossibleTravel: { locate } });
    const { session, token } = await sessions.create({
      userId: "alice",
      client: { ip: "192.0.2.10", userAgent: FIREFOX },
    });
    wait(600);
    const moved = await sessions.validate(token, { ip: "198.51.100.20", userAgent: FIREFOX });
    expect(moved.ok && moved.session.bindingChanged).toBe(true);
    expect(anomalies).toHaveLength(1);
    const travel = anomalies[0]!;
    expect(travel).toMatchObject({
      type: "anomaly.impossible_travel",
      method: "distance",
      sessionId: session.id,
      userId: "alice",
      sightings: [
        { ipPrefix: "192.0.0.0/16", location: PARIS },
        { ipPrefix: "198.51.0.0/16", location: NEW_YORK },
      ],
    });
    if (travel.type !== "anomaly.impossible_travel") throw new Error("unreachable");
    expect(travel.distanceKm).toBeGreaterThan(5000);
    expect(travel.speedKmh).toBeGreaterThan(30_000);
  });

  it("stays quiet for a flight's worth of time, and for short hops geo-IP cannot resolve", async () => {
    const { anomalies, sessions, wait } = watched({ impossibleTravel: { locate } });
    const flyer = await sessions.create({
      userId: "alice",
      client: { ip: "192.0.2.10", userAgent: FIREFOX },
    });
    wait(9 * 3600); // Paris to New York in nine hours: about 650 km/h
    expect(
      (await sessions.validate(flyer.token, { ip: "198.51.100.20", userAgent: FIREFOX })).ok,
    ).toBe(true);
    const commuter = await sessions.create({
      userId: "bob",
      client: { ip: "192.0.2.11", userAgent: FIREFOX },
    });
    wait(60); // Paris to London in a minute: but 340 km is inside geo-IP's error
    expect(
      (await sessions.validate(commuter.token, { ip: "203.0.113.30", userAgent: FIREFOX })).ok,
    ).toBe(true);
    expect(anomalies).toEqual([]);
  });

  it("computes great-circle distances", () => {
    expect(Math.round(distanceKm(PARIS, NEW_YORK))).toBeGreaterThan(5800);
    expect(Math.round(distanceKm(PARIS, NEW_YORK))).toBeLessThan(5900);
    expect(distanceKm(PARIS, PARIS)).toBe(0);
  });
});

describe("impossible travel without a location (network hopping)", () => {
  it("fires when one session shows up on three distinct networks within the window", async () => {
    const { anomalies, sessions, wait } = watched();
    const { session, token } = await sessions.create({
      userId: "alice",
      client: { ip: "192.0.2.10", userAgent: FIREFOX },
    });
    const visit = browser(sessions, token);
    wait(60);
    await visit("198.51.100.20");
    wait(60);
    await visit("203.0.113.30");
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({
      type: "anomaly.impossible_travel",
      method: "networks",
      sessionId: session.id,
      count: 3,
      sightings: [
        { ipPrefix: "192.0.0.0/16" },
        { ipPrefix: "198.51.0.0/16" },
        { ipPrefix: "203.0.0.0/16" },
      ],
    });
  });

  it("stays quiet for a phone moving from Wi-Fi to mobile data and back, or within one network", async () => {
    const { anomalies, detectors, sessions, wait } = watched();
    const { token } = await sessions.create({
      userId: "alice",
      client: { ip: "192.0.2.10", userAgent: FIREFOX },
    });
    const visit = browser(sessions, token);
    for (let n = 0; n < 4; n++) {
      wait(120);
      await visit(n % 2 ? "192.0.2.10" : "198.51.100.20");
    }
    wait(120);
    await visit("192.0.77.1"); // same /16
    expect(detectors.size().impossibleTravel).toBe(1); // watched all along, never revoked
    expect(anomalies).toEqual([]);
  });
});

describe("many sessions for one user", () => {
  it("fires when one user gets the threshold of new sessions inside the window", async () => {
    const { anomalies, sessions, wait } = watched({ sessionBurst: { threshold: 4, window: 3600 } });
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      wait(60);
      ids.push(
        (await sessions.create({ userId: "alice", client: { ip: `203.0.113.${n}` } })).session.id,
      );
    }
    expect(anomalies).toEqual([
      expect.objectContaining({
        type: "anomaly.session_burst",
        userId: "alice",
        count: 4,
        sessionIds: ids,
        ipPrefixes: ["203.0.113.0/24"],
      }),
    ]);
  });

  it("stays quiet for as many logins spread over users, or over a longer time", async () => {
    const { anomalies, sessions, wait } = watched({ sessionBurst: { threshold: 4, window: 3600 } });
    for (let n = 0; n < 12; n++) await sessions.create({ userId: `user-${n}` });
    for (let n = 0; n < 8; n++) {
      wait(1201); // three an hour
      await sessions.create({ userId: "alice" });
    }
    expect(anomalies).toEqual([]);
  });
});

describe("memory", () => {
  it("stays bounded under a flood of distinct prefixes, users and sessions", () => {
    const detectors = createAnomalyDetectors({ maxKeys: 1000 });
    const start = Date.UTC(2026, 0, 1);
    for (let n = 0; n < 100_000; n++) {
      const ip = `${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}.1`;
      const base = { at: new Date(start + n), client: { ip }, userId: `u${n}` };
      detectors.observe({
        ...base,
        type: "session.invalid_secret",
        sessionId: `s${n}`,
      } as SessionEvent);
      detectors.observe({ ...base, type: "session.created", sessionId: `s${n}` } as SessionEvent);
    }
    const size = detectors.size();
    expect(size.invalidSecrets).toBeLessThanOrEqual(1000);
    expect(size.sessionBurst).toBeLessThanOrEqual(1000);
    expect(size.impossibleTravel).toBeLessThanOrEqual(1000);
  }, 30_000);

  it("still fires for a key that is hit hard while others flood in", () => {
    const anomalies: Anomaly[] = [];
    const detectors = createAnomalyDetectors({
      maxKeys: 100,
      invalidSecrets: { threshold: 3, window: 60 },
      onAnomaly: (anomaly) => {
        anomalies.push(anomaly);
      },
    });
    const at = new Date(Date.UTC(2026, 0, 1));
    for (let n = 0; n < 1000; n++) {
      const noise = {
        type: "session.invalid_secret",
        at,
        sessionId: "s",
        userId: "u",
        client: { ip: `10.${n >> 8}.${n & 255}.1` },
      };
      detectors.observe(noise as SessionEvent);
      // Hit more often than `maxKeys` other keys arrive: it stays remembered (LRU).
      if (n % 50 === 0) {
        detectors.observe({ ...noise, client: { ip: "198.51.100.7" } } as SessionEvent);
      }
    }
    expect(
      anomalies.map((anomaly) => anomaly.type === "anomaly.invalid_secrets" && anomaly.ipPrefix),
    ).toContain("198.51.100.0/24");
  });

  it("forgets a session's sightings when it is revoked", async () => {
    const { detectors, sessions } = watched();
    const { session } = await sessions.create({ userId: "alice", client: { ip: "192.0.2.10" } });
    expect(detectors.size().impossibleTravel).toBe(1);
    await sessions.revoke(session.id);
    expect(detectors.size().impossibleTravel).toBe(0);
  });
});

describe("the detectors", () => {
  it("never break a request: a throwing onAnomaly is swallowed and the anomaly is still kept for recent()", async () => {
    const detectors = createAnomalyDetectors({
      sessionBurst: { threshold: 1, window: 60 },
      onAnomaly: () => {
        throw new Error("pager down");
      },
    });
    const sessions = createSessions({ store: new MemoryStore(), onEvent: detectors.observe });
    await expect(sessions.create({ userId: "alice" })).resolves.toBeDefined();
    expect(detectors.recent().map((anomaly) => anomaly.type)).toEqual(["anomaly.session_burst"]);
  });

  it("keep no token, secret or full IP in any anomaly", async () => {
    const { anomalies, sessions, wait } = watched({
      invalidSecrets: { threshold: 2, window: 60 },
      sessionBurst: { threshold: 2, window: 60 },
      impossibleTravel: { locate },
    });
    const tokens: string[] = [];
    for (const ip of ["192.0.2.10", "192.0.2.11"]) {
      tokens.push(
        (await sessions.create({ userId: "alice", client: { ip, userAgent: FIREFOX } })).token,
      );
    }
    await sessions.validate(guess(tokens[0]!, 1), { ip: "203.0.113.77" });
    await sessions.validate(guess(tokens[0]!, 2), { ip: "203.0.113.78" });
    wait(60);
    await sessions.validate(tokens[1], { ip: "198.51.100.99", userAgent: FIREFOX });
    expect(new Set(anomalies.map((anomaly) => anomaly.type)).size).toBe(3);
    const dump = JSON.stringify(anomalies);
    for (const token of tokens) expect(dump).not.toContain(token.split(".")[1]);
    for (const ip of ["192.0.2.10", "192.0.2.11", "203.0.113.77", "198.51.100.99"]) {
      expect(dump).not.toContain(`"${ip}"`);
    }
  });

  it("refuse nonsensical thresholds at creation", () => {
    expect(() => createAnomalyDetectors({ invalidSecrets: { threshold: 0 } })).toThrow(/threshold/);
    expect(() => createAnomalyDetectors({ sessionBurst: { window: -1 } })).toThrow(/window/);
    expect(() => createAnomalyDetectors({ maxKeys: Number.NaN })).toThrow(/maxKeys/);
  });
});
