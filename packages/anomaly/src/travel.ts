/**
 * Impossible travel: a session seen from two places too far apart for the time between. With a
 * `locate(ip)` (a geo-IP database the app already has), that is distance over time; without one,
 * the only honest signal an address gives is its network, so the fallback counts how many
 * distinct networks one session hops across in a short window.
 */
import { ipPrefix } from "@tessera/core";
import type { GeoPoint, ImpossibleTravelAnomaly, Sighting } from "./anomalies.js";
import { recall } from "./window.js";

/** Looks an IP address up: where it is, or `null`/`undefined` when unknown. Must be synchronous. */
export type Locate = (ip: string) => GeoPoint | null | undefined;

/** Settings of the impossible-travel detector. */
export interface TravelOptions {
  /** Places an IP address. Without it only the network-hopping rule applies. */
  locate?: Locate;
  /** Faster than this between two located sightings is impossible. @defaultValue 1000 (km/h, faster than an airliner) */
  maxSpeedKmh?: number;
  /**
   * Closer than this never fires, whatever the time: geo-IP is often off by a few hundred km
   * (an address placed at its provider's hub).
   * @defaultValue 500
   */
  minDistanceKm?: number;
  /** Distinct networks inside `window` that fire when no location is known. @defaultValue 3 */
  maxNetworks?: number;
  /** Seconds the network-hopping rule looks back, and a session stays quiet after firing. @defaultValue 900 */
  window?: number;
  /** Prefix lengths that make one "network" for the hopping rule. @defaultValue `{ ipv4: 16, ipv6: 32 }` */
  networkPrefix?: { ipv4?: number; ipv6?: number };
}

interface Sightings {
  userId: string | null;
  seen: Array<Sighting & { time: number }>;
  quietUntil: number;
}

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(from: GeoPoint, to: GeoPoint): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(to.latitude - from.latitude);
  const dLon = radians(to.longitude - from.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(from.latitude)) * Math.cos(radians(to.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

function isPoint(value: unknown): value is GeoPoint {
  const point = value as GeoPoint | null | undefined;
  return (
    typeof point?.latitude === "number" &&
    typeof point.longitude === "number" &&
    Math.abs(point.latitude) <= 90 &&
    Math.abs(point.longitude) <= 180
  );
}

/** The detector: `sighting(...)` returns an anomaly when this sighting makes the travel impossible. */
export function createTravelDetector(
  options: Required<Omit<TravelOptions, "locate">> & {
    locate: Locate | undefined;
    maxKeys: number;
    evidenceLimit: number;
  },
) {
  const sessions = new Map<string, Sightings>();
  const windowMs = options.window * 1000;
  const v4 = options.networkPrefix.ipv4 ?? 16;
  const v6 = options.networkPrefix.ipv6 ?? 32;

  function locate(ip: string): GeoPoint | undefined {
    if (!options.locate) return undefined;
    try {
      const point = options.locate(ip);
      return isPoint(point) ? { latitude: point.latitude, longitude: point.longitude } : undefined;
    } catch {
      return undefined; // a failing lookup is "unknown", never an alert
    }
  }

  return {
    get size() {
      return sessions.size;
    },

    forget(sessionId: string) {
      sessions.delete(sessionId);
    },

    sighting(
      sessionId: string,
      userId: string | null,
      ip: string,
      at: number,
    ): ImpossibleTravelAnomaly | null {
      const network = ipPrefix(ip, v4, v6);
      if (!network) return null;
      const track = recall(sessions, sessionId, options.maxKeys, () => ({
        userId,
        seen: [],
        quietUntil: 0,
      }));
      const last = track.seen.at(-1);
      if (last && last.ipPrefix === network) {
        last.time = at; // still there: the clock for the next move starts from the latest sighting
        last.at = new Date(at);
        return null;
      }
      const location = locate(ip);
      const current = {
        ipPrefix: network,
        at: new Date(at),
        time: at,
        ...(location ? { location } : {}),
      };
      track.seen = track.seen.filter((sighting) => sighting.time > at - windowMs);
      track.seen.push(current);
      if (track.seen.length > options.maxNetworks) track.seen.shift();
      if (at < track.quietUntil) return null;
      const base = {
        at: new Date(at),
        windowSeconds: options.window,
        sessionId,
        userId: track.userId,
      };
      const strip = (sighting: Sighting & { time: number }): Sighting => ({
        ipPrefix: sighting.ipPrefix,
        at: sighting.at,
        ...(sighting.location ? { location: sighting.location } : {}),
      });

      if (last?.location && location) {
        const km = distanceKm(last.location, location);
        const hours = Math.max(at - last.time, 0) / 3_600_000;
        const speed = hours === 0 ? Number.POSITIVE_INFINITY : km / hours;
        if (km < options.minDistanceKm || speed <= options.maxSpeedKmh) return null;
        track.quietUntil = at + windowMs;
        return {
          type: "anomaly.impossible_travel",
          ...base,
          count: 2,
          method: "distance",
          sightings: [strip(last), strip(current)],
          distanceKm: Math.round(km),
          speedKmh: Number.isFinite(speed) ? Math.round(speed) : Number.MAX_SAFE_INTEGER,
        };
      }
      const distinct = new Set(track.seen.map((sighting) => sighting.ipPrefix));
      if (distinct.size < options.maxNetworks) return null;
      track.quietUntil = at + windowMs;
      return {
        type: "anomaly.impossible_travel",
        ...base,
        count: distinct.size,
        method: "networks",
        sightings: track.seen.slice(-options.evidenceLimit).map(strip),
      };
    },
  };
}
