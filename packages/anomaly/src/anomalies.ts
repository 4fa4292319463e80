/** What the detectors emit: one `anomaly.*` event per finding, with the evidence behind it. */

/** Every anomaly type the detectors emit. */
export type AnomalyType =
  | "anomaly.invalid_secrets"
  | "anomaly.reuse_burst"
  | "anomaly.impossible_travel"
  | "anomaly.session_burst";

/** Where a session was seen: its network prefix, when, and where on Earth if `locate` knew. */
export interface Sighting {
  /** The client's network prefix as the binding compares it (`203.0.113.0/24`); never a full IP. */
  ipPrefix: string;
  at: Date;
  /** From `locate(ip)`, when one was given and knew the address. */
  location?: GeoPoint;
}

/** A point on Earth, in degrees. */
export interface GeoPoint {
  latitude: number;
  longitude: number;
}

/** Fields every anomaly has. */
interface AnomalyBase {
  /** When the threshold was crossed: the time of the event that crossed it. */
  at: Date;
  /** Events counted inside the window when it fired (or 2 sightings for travel). */
  count: number;
  /** The window, in seconds, the count was taken over. */
  windowSeconds: number;
}

/** Many `session.invalid_secret` from one network prefix: someone guessing secrets for known session ids. */
export interface InvalidSecretsAnomaly extends AnomalyBase {
  type: "anomaly.invalid_secrets";
  ipPrefix: string;
  /** The sessions targeted (the most recent, at most `evidenceLimit`). */
  sessionIds: string[];
  userIds: string[];
}

/** Several `session.reuse_detected` in a short time: a wave of stolen tokens being replayed. */
export interface ReuseBurstAnomaly extends AnomalyBase {
  type: "anomaly.reuse_burst";
  sessionIds: string[];
  userIds: string[];
  /** Network prefixes the reuse came from. */
  ipPrefixes: string[];
}

/** A session seen from networks too far apart for the time between the sightings. */
export interface ImpossibleTravelAnomaly extends AnomalyBase {
  type: "anomaly.impossible_travel";
  sessionId: string;
  userId: string | null;
  /**
   * `distance`: `locate` placed both sightings and the speed between them is above
   * `maxSpeedKmh`. `networks`: no location known; the session hopped across at least
   * `maxNetworks` distinct networks inside the window (see the README for what that can and
   * cannot tell).
   */
  method: "distance" | "networks";
  /** The sightings that tripped it, oldest first. */
  sightings: Sighting[];
  /** With `method: "distance"`: kilometres between the last two sightings. */
  distanceKm?: number;
  /** With `method: "distance"`: the speed it implies, in km/h. */
  speedKmh?: number;
}

/** Many sessions created for one user in a window: credential stuffing that worked, or a bot. */
export interface SessionBurstAnomaly extends AnomalyBase {
  type: "anomaly.session_burst";
  userId: string;
  sessionIds: string[];
  ipPrefixes: string[];
}

/** One finding. Never carries a token, a secret or a full IP address. */
export type Anomaly =
  | InvalidSecretsAnomaly
  | ReuseBurstAnomaly
  | ImpossibleTravelAnomaly
  | SessionBurstAnomaly;

/** Receives anomalies. What it throws (or rejects with) is swallowed: detection never breaks a request. */
export type AnomalyHandler = (anomaly: Anomaly) => void | Promise<void>;
