/**
 * The OpenTelemetry SDK as a test sees it: spans in an in-memory exporter, metrics in an
 * in-memory metric exporter read on demand, and async context propagation so store spans nest.
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createTelemetry, type TelemetryOptions } from "../src/index.js";

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** One data point of a metric: its attributes and its value (a sum, or a histogram's count). */
export interface Point {
  attributes: Record<string, unknown>;
  value: number;
}

/** A telemetry wired to a fresh SDK, and readers for what it recorded. */
export function observed(options: Omit<TelemetryOptions, "tracerProvider" | "meterProvider"> = {}) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = createTelemetry({ ...options, tracerProvider, meterProvider });

  return {
    telemetry,
    /** Finished spans, oldest first. */
    spans: (): ReadableSpan[] => spans.getFinishedSpans(),
    /** The finished spans of one name. */
    spansNamed: (name: string) => spans.getFinishedSpans().filter((span) => span.name === name),
    /** Every data point of metric `name` (cumulative since the start), read from the SDK now. */
    async points(name: string): Promise<Point[]> {
      metricExporter.reset();
      await reader.forceFlush();
      const points: Point[] = [];
      for (const resource of metricExporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            if (metric.descriptor.name !== name) continue;
            for (const point of metric.dataPoints) {
              const value = point.value as number | { count: number };
              points.push({
                attributes: { ...point.attributes },
                value: typeof value === "number" ? value : value.count,
              });
            }
          }
        }
      }
      return points;
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/** The value of the one point whose attributes include `match`; 0 when there is none. */
export function sumOf(points: Point[], match: Record<string, unknown>): number {
  return points
    .filter((point) =>
      Object.entries(match).every(([key, value]) => point.attributes[key] === value),
    )
    .reduce((sum, point) => sum + point.value, 0);
}
