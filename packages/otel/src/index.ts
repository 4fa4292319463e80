export { ATTRIBUTES, METRICS, SCOPE } from "./names.js";
export type { InstrumentStoreOptions } from "./store.js";
export { createTelemetry, type Telemetry, type TelemetryOptions } from "./telemetry.js";
