/**
 * Operating the demo: OpenTelemetry export (`TESSERA_OTEL` = off | console | otlp) through
 * @tessera/otel, and anomaly detection over the session events through @tessera/anomaly, shown
 * to the admin at /admin/anomalies.
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { type Anomaly, type AnomalyDetectors, createAnomalyDetectors } from "@tessera/anomaly";
import { createTelemetry, type Telemetry } from "@tessera/otel";

/** Where telemetry goes. */
export type TelemetryExport = "off" | "console" | "otlp";

/** What main.ts wires in. */
export interface Operations {
  telemetry: Telemetry;
  detectors: AnomalyDetectors;
  /** Flushes and stops the exporters. */
  shutdown(): Promise<void>;
}

/** Reads `TESSERA_OTEL`; throws with the variable's name for anything else. */
export function telemetryExport(env: NodeJS.ProcessEnv): TelemetryExport {
  const value = (env.TESSERA_OTEL ?? "off").toLowerCase();
  if (value !== "off" && value !== "console" && value !== "otlp") {
    throw new Error(`TESSERA_OTEL must be off, console or otlp, got "${env.TESSERA_OTEL}"`);
  }
  return value;
}

function describe(anomaly: Anomaly): string {
  switch (anomaly.type) {
    case "anomaly.invalid_secrets":
      return `${anomaly.count} invalid secrets from ${anomaly.ipPrefix}`;
    case "anomaly.reuse_burst":
      return `${anomaly.count} reuse detections`;
    case "anomaly.impossible_travel":
      return `session ${anomaly.sessionId.slice(0, 8)} across ${anomaly.sightings.map((s) => s.ipPrefix).join(" -> ")}`;
    case "anomaly.session_burst":
      return `${anomaly.count} new sessions for user ${anomaly.userId.slice(0, 8)}`;
  }
}

/** Starts the exporters chosen by `TESSERA_OTEL` and the anomaly detectors. */
export function startOperations(env: NodeJS.ProcessEnv): Operations {
  const mode = telemetryExport(env);
  const detectors = createAnomalyDetectors({
    onAnomaly: (anomaly) => console.warn(`Tessera demo: ${anomaly.type}: ${describe(anomaly)}`),
  });
  if (mode === "off") {
    return { telemetry: createTelemetry(), detectors, shutdown: async () => {} };
  }
  // Session spans nest under the request, store spans under the session call.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const spans: SpanProcessor =
    mode === "console"
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(new OTLPTraceExporter());
  const metrics: PushMetricExporter =
    mode === "console" ? new ConsoleMetricExporter() : new OTLPMetricExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [spans] });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: metrics,
        exportIntervalMillis: Number(env.TESSERA_OTEL_METRICS_INTERVAL ?? 60_000),
      }),
    ],
  });
  console.log(`Tessera demo: telemetry to ${mode === "otlp" ? "OTLP" : "the console"}`);
  return {
    telemetry: createTelemetry({ tracerProvider, meterProvider, ipPrefix: true }),
    detectors,
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
