/**
 * `createAnomalyDetectors`: sliding-window rules over Tessera's event stream, fed by
 * `createSessions({ onEvent: detectors.observe })`. Pure (no I/O, no timers, no Node built-ins):
 * time is the events' own `at`, so replayed or out-of-process streams are judged alike.
 */
import { ipPrefix, type SessionEvent, TesseraConfigError } from "@tessera/core";
import type { Anomaly, AnomalyHandler } from "./anomalies.js";
import { createTravelDetector, type TravelOptions } from "./travel.js";
import { distinctRecent, type Hit, SlidingWindows } from "./window.js";

/** A threshold rule: `threshold` events inside `window` seconds fire once per window. */
export interface BurstRule {
  /** Events that fire. */
  threshold?: number;
  /** Seconds. */
  window?: number;
}

/** Options of `createAnomalyDetectors`. Give `false` for a rule to turn it off. */
export interface AnomalyDetectorsOptions {
  /** Receives every anomaly (an alert, a log line, a queue). Its failures are swallowed. */
  onAnomaly?: AnomalyHandler;
  /** `session.invalid_secret` from one network prefix. @defaultValue `{ threshold: 20, window: 300 }` */
  invalidSecrets?: BurstRule | false;
  /** `session.reuse_detected`, all sessions together. @defaultValue `{ threshold: 3, window: 600 }` */
  reuseBurst?: BurstRule | false;
  /** A session moving faster than a person can travel. @defaultValue see `TravelOptions` */
  impossibleTravel?: TravelOptions | false;
  /** `session.created` for one user. @defaultValue `{ threshold: 10, window: 3600 }` */
  sessionBurst?: BurstRule | false;
  /**
   * Keys each rule remembers (prefixes, users, sessions); past it the least recently seen is
   * forgotten. Bounds memory whatever the traffic.
   * @defaultValue 10000
   */
  maxKeys?: number;
  /** Ids and prefixes listed as evidence in one anomaly, at most. @defaultValue 20 */
  evidenceLimit?: number;
  /** Anomalies kept for `recent()` (an admin page). @defaultValue 100 */
  keepRecent?: number;
}

/** What `createAnomalyDetectors` returns. */
export interface AnomalyDetectors {
  /** The `onEvent` handler to give `createSessions` (or to call with events from elsewhere). */
  readonly observe: (event: SessionEvent) => void;
  /** The latest anomalies, newest first (at most `keepRecent`). */
  recent(): Anomaly[];
  /** Keys currently remembered by each rule (to watch memory). */
  size(): {
    invalidSecrets: number;
    reuseBurst: number;
    impossibleTravel: number;
    sessionBurst: number;
  };
}

interface Evidence {
  sessionId: string | null;
  userId: string | null;
  ipPrefix: string | null;
}

/** Events that place a session's holder on a network (an attacker's guesses do not). */
const SIGHTINGS = new Set([
  "session.created",
  "session.rotated",
  "session.binding_mismatch",
  "session.reauthenticated",
]);
const MAX_THRESHOLD = 10_000;

function positive(name: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new TesseraConfigError(`${name} must be a positive number up to ${max}`);
  }
  return value;
}

function burst(
  name: string,
  rule: BurstRule | false | undefined,
  threshold: number,
  window: number,
) {
  if (rule === false) return null;
  if (rule !== undefined && (rule === null || typeof rule !== "object")) {
    throw new TesseraConfigError(`${name} must be { threshold, window } or false`);
  }
  return {
    threshold: Math.ceil(positive(`${name}.threshold`, rule?.threshold, threshold, MAX_THRESHOLD)),
    window: positive(`${name}.window`, rule?.window, window),
  };
}

/**
 * Creates the detectors. Throws `TesseraConfigError` for invalid thresholds or windows.
 *
 * @example
 * ```ts
 * const detectors = createAnomalyDetectors({ onAnomaly: (a) => alerts.send(a) });
 * const sessions = createSessions({ store, onEvent: detectors.observe });
 * ```
 */
export function createAnomalyDetectors(options: AnomalyDetectorsOptions = {}): AnomalyDetectors {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("createAnomalyDetectors takes an options object");
  }
  if (options.onAnomaly !== undefined && typeof options.onAnomaly !== "function") {
    throw new TesseraConfigError("onAnomaly must be a function");
  }
  const maxKeys = Math.floor(positive("maxKeys", options.maxKeys, 10_000));
  const evidenceLimit = Math.floor(positive("evidenceLimit", options.evidenceLimit, 20, 1000));
  const keepRecent = Math.floor(positive("keepRecent", options.keepRecent, 100, 10_000));

  const rules = {
    invalidSecrets: burst("invalidSecrets", options.invalidSecrets, 20, 300),
    reuseBurst: burst("reuseBurst", options.reuseBurst, 3, 600),
    sessionBurst: burst("sessionBurst", options.sessionBurst, 10, 3600),
  };
  const windows = (rule: { threshold: number; window: number } | null) =>
    rule ? new SlidingWindows<Evidence>(rule.threshold, rule.window * 1000, maxKeys) : null;
  const invalidSecrets = windows(rules.invalidSecrets);
  const reuseBurst = windows(rules.reuseBurst);
  const sessionBurst = windows(rules.sessionBurst);

  const travelOptions = options.impossibleTravel;
  if (travelOptions !== undefined && travelOptions !== false && typeof travelOptions !== "object") {
    throw new TesseraConfigError("impossibleTravel must be an options object or false");
  }
  if (
    travelOptions &&
    travelOptions.locate !== undefined &&
    typeof travelOptions.locate !== "function"
  ) {
    throw new TesseraConfigError(
      "impossibleTravel.locate must be a function (ip) => { latitude, longitude }",
    );
  }
  const travel =
    travelOptions === false
      ? null
      : createTravelDetector({
          locate: travelOptions?.locate,
          maxSpeedKmh: positive("impossibleTravel.maxSpeedKmh", travelOptions?.maxSpeedKmh, 1000),
          minDistanceKm: positive(
            "impossibleTravel.minDistanceKm",
            travelOptions?.minDistanceKm,
            500,
          ),
          maxNetworks: Math.max(
            2,
            Math.floor(
              positive("impossibleTravel.maxNetworks", travelOptions?.maxNetworks, 3, 100),
            ),
          ),
          window: positive("impossibleTravel.window", travelOptions?.window, 900),
          networkPrefix: travelOptions?.networkPrefix ?? {},
          maxKeys,
          evidenceLimit,
        });

  const recent: Anomaly[] = [];
  function emit(anomaly: Anomaly) {
    recent.unshift(anomaly);
    if (recent.length > keepRecent) recent.pop();
    if (!options.onAnomaly) return;
    try {
      const result = options.onAnomaly(anomaly);
      if (result && typeof (result as Promise<void>).then === "function") {
        (result as Promise<void>).then(undefined, () => {});
      }
    } catch {
      // An alert sink failing must not turn into a failed request.
    }
  }

  const ids = (hits: Hit<Evidence>[], field: keyof Evidence) =>
    distinctRecent(
      hits.map((hit) => hit.evidence[field]),
      evidenceLimit,
    );

  function observe(event: SessionEvent): void {
    if (!event || typeof event !== "object" || !(event.at instanceof Date)) return;
    const at = event.at.getTime();
    const ip = event.client?.ip;
    const prefix = event.client?.ipPrefix ?? ipPrefix(ip) ?? null;
    const evidence: Evidence = {
      sessionId: event.sessionId,
      userId: event.userId,
      ipPrefix: prefix,
    };

    if (event.type === "session.invalid_secret" && invalidSecrets && prefix) {
      const hits = invalidSecrets.hit(prefix, at, evidence);
      if (hits) {
        emit({
          type: "anomaly.invalid_secrets",
          at: event.at,
          count: hits.length,
          windowSeconds: rules.invalidSecrets!.window,
          ipPrefix: prefix,
          sessionIds: ids(hits, "sessionId"),
          userIds: ids(hits, "userId"),
        });
      }
    } else if (event.type === "session.reuse_detected" && reuseBurst) {
      const hits = reuseBurst.hit("all", at, evidence);
      if (hits) {
        emit({
          type: "anomaly.reuse_burst",
          at: event.at,
          count: hits.length,
          windowSeconds: rules.reuseBurst!.window,
          sessionIds: ids(hits, "sessionId"),
          userIds: ids(hits, "userId"),
          ipPrefixes: ids(hits, "ipPrefix"),
        });
      }
    } else if (event.type === "session.created" && sessionBurst && event.userId) {
      const hits = sessionBurst.hit(event.userId, at, evidence);
      if (hits) {
        emit({
          type: "anomaly.session_burst",
          at: event.at,
          count: hits.length,
          windowSeconds: rules.sessionBurst!.window,
          userId: event.userId,
          sessionIds: ids(hits, "sessionId"),
          ipPrefixes: ids(hits, "ipPrefix"),
        });
      }
    }

    if (!travel || !event.sessionId) return;
    if (event.type === "session.revoked" || event.type === "session.expired") {
      travel.forget(event.sessionId);
    } else if (SIGHTINGS.has(event.type) && ip) {
      const found = travel.sighting(event.sessionId, event.userId, ip, at);
      if (found) emit(found);
    }
  }

  return {
    observe: (event) => {
      try {
        observe(event);
      } catch {
        // Never let detection break the lifecycle call that emitted the event.
      }
    },
    recent: () => [...recent],
    size: () => ({
      invalidSecrets: invalidSecrets?.size ?? 0,
      reuseBurst: reuseBurst?.size ?? 0,
      impossibleTravel: travel?.size ?? 0,
      sessionBurst: sessionBurst?.size ?? 0,
    }),
  };
}
