/**
 * `createTelemetry`: the instruments, and the wrappers that feed them. A wrapped `Sessions` opens
 * one span per call (`tessera.validate`, `tessera.create`, ...) under which the store's spans nest;
 * lifecycle events count rotations, reuse and binding changes; `recordAnswer` counts what the HTTP
 * layer answered. Core never imports OpenTelemetry: everything here wraps from the outside.
 */
import {
  type Attributes,
  type MeterProvider,
  metrics,
  type Span,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import {
  type ClientInfo,
  createSessions,
  ipPrefix,
  type SessionEvent,
  type SessionEventHandler,
  type SessionStore,
  type Sessions,
  type SessionsOptions,
  TesseraConfigError,
} from "@tessera/core";
import { ATTRIBUTES, METRICS, SCOPE } from "./names.js";
import {
  errorType,
  type InstrumentStoreOptions,
  type PendingCall,
  sweepTimedOut,
  wrapStore,
} from "./store.js";

/** Options of `createTelemetry`. */
export interface TelemetryOptions {
  /** Where spans go. @defaultValue the global provider (`trace.setGlobalTracerProvider`, or the Node SDK's) */
  tracerProvider?: TracerProvider;
  /** Where metrics go. @defaultValue the global provider (`metrics.setGlobalMeterProvider`, or the Node SDK's) */
  meterProvider?: MeterProvider;
  /**
   * Adds `tessera.session.id` and `enduser.id` to spans. Off by default: ids are personal data in
   * many jurisdictions, and a trace backend is rarely where you want them.
   * @defaultValue false
   */
  recordIds?: boolean;
  /**
   * Adds the client's network prefix (`tessera.client.ip_prefix`, e.g. `203.0.113.0/24`) to
   * session spans. A full IP address is never recorded.
   * @defaultValue false
   */
  ipPrefix?: boolean;
}

/** What `createTelemetry` returns. */
export interface Telemetry {
  /**
   * `createSessions` from `@tessera/core` with everything wired: the store instrumented (named by
   * `storeName`), the sessions instrumented, and events counted before reaching your `onEvent`.
   */
  createSessions(options: SessionsOptions, telemetry?: { storeName?: string }): Sessions;
  /** Wraps a store: a span and a duration sample per call, errors and timeouts counted. */
  instrumentStore<S extends SessionStore>(store: S, options?: InstrumentStoreOptions): S;
  /** Wraps a session manager: a span per call, validations counted by result and reason. */
  instrumentSessions<S extends object>(sessions: S): S;
  /** An `onEvent` handler counting rotations, reuse, binding mismatches and every event type. */
  readonly observe: SessionEventHandler;
  /** Counts one HTTP answer by status (`tessera.http.answers`): give it to an integration's answer hook. */
  readonly recordAnswer: (status: number) => void;
}

/** Seconds; from half a millisecond (a cached Redis GET) to the 5 s default store timeout and past it. */
const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Methods that are synchronous and per-request cheap: never a span. */
const UNTRACED = new Set(["tokenFrom"]);
const STEP_UP = new Set(["reauthenticate", "reauthenticated"]);

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Creates the instruments and the wrappers feeding them.
 *
 * @example
 * ```ts
 * const telemetry = createTelemetry();
 * const sessions = telemetry.createSessions({ store: new RedisStore({ client }) });
 * ```
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  if (!options || typeof options !== "object") {
    throw new TesseraConfigError("createTelemetry takes an options object");
  }
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const recordIds = options.recordIds === true;
  const recordPrefix = options.ipPrefix === true;
  const seconds = (description: string) => ({
    description,
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });

  const validations = meter.createCounter(METRICS.validations, {
    description: "Session validations, by result and refusal reason",
    unit: "{validation}",
  });
  const rotations = meter.createCounter(METRICS.rotations, {
    description: "Secrets rotated (scheduled, forced and step-up)",
    unit: "{rotation}",
  });
  const reuse = meter.createCounter(METRICS.reuseDetections, {
    description: "Retired secrets presented again: a session held by two parties, revoked",
    unit: "{detection}",
  });
  const mismatches = meter.createCounter(METRICS.bindingMismatches, {
    description: "Requests from a client other than the one the session is bound to, by mode",
    unit: "{mismatch}",
  });
  const stepUps = meter.createCounter(METRICS.stepUps, {
    description: "Step-ups (re-authentications) recorded, by result",
    unit: "{step_up}",
  });
  const events = meter.createCounter(METRICS.events, {
    description: "Lifecycle events, by type",
    unit: "{event}",
  });
  const operationDuration = meter.createHistogram(
    METRICS.operationDuration,
    seconds("Duration of session calls (validate, create, revoke, ...), store time included"),
  );
  const storeInstruments = {
    tracer,
    duration: meter.createHistogram(METRICS.storeDuration, seconds("Duration of store calls")),
    errors: meter.createCounter(METRICS.storeErrors, {
      description: "Store calls that failed (error.type = timeout when core abandoned them)",
      unit: "{error}",
    }),
    inFlight: new Set<PendingCall>(),
  };
  const answers = meter.createCounter(METRICS.answers, {
    description: "HTTP answers given by the session layer, by status (503 = store unavailable)",
    unit: "{answer}",
  });

  function clientAttributes(method: string, args: unknown[], attributes: Attributes) {
    if (!recordPrefix) return;
    const client = (method === "create" ? (args[0] as { client?: unknown })?.client : args[1]) as
      | ClientInfo
      | undefined;
    const prefix = typeof client?.ip === "string" ? ipPrefix(client.ip) : undefined;
    if (prefix) attributes[ATTRIBUTES.ipPrefix] = prefix;
  }

  /** Reads what a call resolved to into span attributes; returns the result label. */
  function describe(value: unknown, span: Span): string {
    if (value === null || value === undefined || value === false) return "not-found";
    if (typeof value !== "object") return "ok";
    const outcome = value as {
      ok?: unknown;
      reason?: unknown;
      token?: unknown;
      session?: { id?: unknown; userId?: unknown; bindingChanged?: unknown };
      id?: unknown;
      userId?: unknown;
    };
    if (outcome.ok === false) {
      if (typeof outcome.reason === "string") span.setAttribute(ATTRIBUTES.reason, outcome.reason);
      return "refused";
    }
    if (outcome.ok === true) {
      span.setAttribute(ATTRIBUTES.newToken, typeof outcome.token === "string");
      if (outcome.session?.bindingChanged === true) {
        span.setAttribute(ATTRIBUTES.bindingChanged, true);
      }
    }
    const session = outcome.session ?? outcome;
    if (recordIds && typeof session.id === "string" && typeof session.userId === "string") {
      span.setAttribute(ATTRIBUTES.sessionId, session.id);
      span.setAttribute(ATTRIBUTES.userId, session.userId);
    }
    return "ok";
  }

  function traceMethod(method: string, call: (...args: unknown[]) => unknown) {
    const spanName = `tessera.${snakeCase(method)}`;
    const operation = { [ATTRIBUTES.operation]: snakeCase(method) };
    return (...args: unknown[]): unknown => {
      const attributes: Attributes = {};
      clientAttributes(method, args, attributes);
      return tracer.startActiveSpan(spanName, { attributes }, (span) => {
        const started = performance.now();
        const settle = (result: string, extra: Attributes) => {
          span.setAttribute(ATTRIBUTES.result, result);
          const labels = { ...operation, [ATTRIBUTES.result]: result, ...extra };
          operationDuration.record((performance.now() - started) / 1000, labels);
          if (method === "validate") validations.add(1, { [ATTRIBUTES.result]: result, ...extra });
          if (STEP_UP.has(method)) stepUps.add(1, { [ATTRIBUTES.result]: result });
          span.end();
        };
        const succeed = (value: unknown) => {
          const result = describe(value, span);
          const reason = (value as { reason?: unknown } | null)?.reason;
          settle(
            result,
            result === "refused" && typeof reason === "string"
              ? { [ATTRIBUTES.reason]: reason }
              : {},
          );
          return value;
        };
        const fail = (error: unknown) => {
          const type = errorType(error);
          if (type === "store-unavailable") {
            sweepTimedOut(storeInstruments.inFlight, performance.now());
          }
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.setAttribute(ATTRIBUTES.errorType, type);
          settle("error", { [ATTRIBUTES.errorType]: type });
        };
        let value: unknown;
        try {
          value = call(...args);
        } catch (error) {
          fail(error);
          throw error;
        }
        if (!isThenable(value)) return succeed(value);
        return Promise.resolve(value).then(succeed, (error: unknown) => {
          fail(error);
          throw error;
        });
      });
    };
  }

  function instrumentSessions<S extends object>(sessions: S): S {
    if (!sessions || typeof sessions !== "object") {
      throw new TesseraConfigError("instrumentSessions needs the object createSessions returned");
    }
    const wrapped = new Map<string, unknown>();
    // A proxy rather than a copy: methods added or renamed in core (e.g. `reauthenticated` →
    // `reauthenticate`) are traced without a release of this package.
    return new Proxy(sessions, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof key !== "string" || typeof value !== "function") return value;
        let method = wrapped.get(key);
        if (method === undefined) {
          const bound = (value as (...args: unknown[]) => unknown).bind(target);
          method = UNTRACED.has(key) ? bound : traceMethod(key, bound);
          wrapped.set(key, method);
        }
        return method;
      },
    });
  }

  const observe: SessionEventHandler = (event: SessionEvent) => {
    events.add(1, { [ATTRIBUTES.eventType]: event.type });
    if (event.type === "session.rotated") rotations.add(1);
    else if (event.type === "session.reuse_detected") reuse.add(1);
    else if (event.type === "session.binding_mismatch") {
      mismatches.add(1, { [ATTRIBUTES.bindingMode]: event.detail ?? "unknown" });
    }
    // Events fire inside the call that caused them: mark that call's span.
    trace
      .getActiveSpan()
      ?.addEvent(
        event.type,
        event.detail !== undefined ? { "tessera.event.detail": event.detail } : {},
      );
  };

  const recordAnswer = (status: number) => {
    if (!Number.isInteger(status)) return;
    answers.add(1, { [ATTRIBUTES.httpStatus]: status });
  };

  return {
    createSessions(sessionsOptions, extra) {
      if (!sessionsOptions || typeof sessionsOptions !== "object") {
        throw new TesseraConfigError("createSessions needs an options object");
      }
      const next = sessionsOptions.onEvent;
      const store = sessionsOptions.store
        ? wrapStore(sessionsOptions.store, storeInstruments, {
            ...(extra?.storeName !== undefined ? { name: extra.storeName } : {}),
            ...(typeof sessionsOptions.storeTimeout === "number"
              ? { timeoutMs: sessionsOptions.storeTimeout }
              : {}),
          })
        : sessionsOptions.store;
      return instrumentSessions(
        createSessions({
          ...sessionsOptions,
          store,
          onEvent:
            typeof next === "function"
              ? (event) => {
                  observe(event);
                  return next(event);
                }
              : observe,
        }),
      );
    },
    instrumentStore: (store, storeOptions) => {
      if (!store || typeof store !== "object") {
        throw new TesseraConfigError("instrumentStore needs a SessionStore");
      }
      return wrapStore(store, storeInstruments, storeOptions);
    },
    instrumentSessions,
    observe,
    recordAnswer,
  };
}
