export type {
  Anomaly,
  AnomalyHandler,
  AnomalyType,
  GeoPoint,
  ImpossibleTravelAnomaly,
  InvalidSecretsAnomaly,
  ReuseBurstAnomaly,
  SessionBurstAnomaly,
  Sighting,
} from "./anomalies.js";
export {
  type AnomalyDetectors,
  type AnomalyDetectorsOptions,
  type BurstRule,
  createAnomalyDetectors,
} from "./detectors.js";
export { distanceKm, type Locate, type TravelOptions } from "./travel.js";
