/**
 * The store side: one CLIENT span and one duration sample per store call, and a count of the
 * calls that failed or that core abandoned after its `storeTimeout`.
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from "@opentelemetry/api";
import { type SessionStore, STORE_EPOCH_METHODS, STORE_METHODS } from "@tessera/core/store";
import { ATTRIBUTES, DB_SYSTEMS } from "./names.js";

/** The six store methods, as core calls them. */
const STORE_OPERATIONS: ReadonlySet<string> = new Set([...STORE_METHODS, ...STORE_EPOCH_METHODS]);

/**
 * The operation name a method is traced under. `getWithEpochs` is the store's read of a session
 * (with its revocation epochs, in the same round trip): traced as `get`, like a store without
 * epochs, so dashboards see one read per validate whichever read the store has.
 */
function operationOf(method: string): string {
  return method === "getWithEpochs" ? "get" : method;
}

/** Options of `instrumentStore`. */
export interface InstrumentStoreOptions {
  /**
   * The store's name on every span and sample (`tessera.store.name`; also `db.system` for
   * `redis`, `postgresql` and `dynamodb`).
   * @defaultValue derived from the class name: `RedisStore` → `redis`, `MemoryStore` → `memory`
   */
  name?: string;
  /**
   * The `storeTimeout` given to `createSessions`, in milliseconds: a call still pending after it
   * was abandoned by core, and is counted as a timeout. 0 = core never abandons a call.
   * @defaultValue 5000 (core's default)
   */
  timeoutMs?: number;
}

/** The instruments a store wrapper records into. */
export interface StoreInstruments {
  tracer: Tracer;
  duration: Histogram;
  errors: Counter;
  /** Calls not yet settled, shared by every store of one telemetry (see `sweepTimedOut`). */
  inFlight: Set<PendingCall>;
}

/** A store call in progress. */
export interface PendingCall {
  started: number;
  timeoutMs: number;
  finish(errorType: string | null): void;
}

/** A short, low-cardinality name for an error: its `code`, else its class name. Never its message. */
export function errorType(error: unknown): string {
  if (error && typeof error === "object") {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === "string" && code.length <= 64) return code;
    if (typeof name === "string" && name.length <= 64) return name;
  }
  return "_OTHER";
}

function defaultName(store: object): string {
  const className = store.constructor?.name ?? "";
  const base = className.replace(/Store$/, "").toLowerCase();
  return base && base !== "object" ? base : "custom";
}

/**
 * Marks as timed out every call that has been pending for longer than its timeout. Core answers
 * `StoreUnavailableError` when its deadline passes and never hears from that call again, so a
 * hung call would otherwise leave its span open for ever.
 */
export function sweepTimedOut(inFlight: Set<PendingCall>, now: number): void {
  for (const call of inFlight) {
    // One millisecond of slack: a timer may fire a fraction of a millisecond "early" by this clock.
    if (call.timeoutMs > 0 && now - call.started >= call.timeoutMs - 1) call.finish("timeout");
  }
}

/** Wraps the six methods of `store`; anything else (e.g. `deleteExpired()`) passes through. */
export function wrapStore<S extends SessionStore>(
  store: S,
  instruments: StoreInstruments,
  options: InstrumentStoreOptions = {},
): S {
  const name = options.name ?? defaultName(store);
  const timeoutMs = options.timeoutMs ?? 5000;
  const base: Attributes = { [ATTRIBUTES.storeName]: name };
  const dbSystem = DB_SYSTEMS[name.toLowerCase()];
  if (dbSystem) base[ATTRIBUTES.dbSystem] = dbSystem;
  const { tracer, duration, errors, inFlight } = instruments;
  const wrapped = new Map<string, unknown>();

  function traced(operation: string, method: (...args: unknown[]) => Promise<unknown>) {
    const attributes: Attributes = {
      ...base,
      [ATTRIBUTES.storeOperation]: operation,
      [ATTRIBUTES.dbOperation]: operation,
    };
    return (...args: unknown[]) => {
      const span: Span = tracer.startSpan(`tessera.store.${operation}`, {
        kind: SpanKind.CLIENT,
        attributes,
      });
      const call: PendingCall = {
        started: performance.now(),
        timeoutMs,
        finish(type) {
          if (!inFlight.delete(call)) return; // already finished (a timeout, then a late answer)
          const seconds = (performance.now() - call.started) / 1000;
          if (type === null && timeoutMs > 0 && seconds * 1000 >= timeoutMs - 1) type = "timeout";
          if (type === null) {
            duration.record(seconds, attributes);
          } else {
            const failed = { ...attributes, [ATTRIBUTES.errorType]: type };
            duration.record(seconds, failed);
            errors.add(1, failed);
            span.setAttribute(ATTRIBUTES.errorType, type);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
      inFlight.add(call);
      let pending: Promise<unknown>;
      try {
        pending = Promise.resolve(method(...args));
      } catch (error) {
        call.finish(errorType(error));
        throw error;
      }
      return pending.then(
        (value) => {
          call.finish(null);
          return value;
        },
        (error: unknown) => {
          call.finish(errorType(error));
          throw error;
        },
      );
    };
  }

  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof key !== "string" || typeof value !== "function") return value;
      let method = wrapped.get(key);
      if (method === undefined) {
        const bound = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
        method = STORE_OPERATIONS.has(key) ? traced(operationOf(key), bound) : bound;
        wrapped.set(key, method);
      }
      return method;
    },
  });
}
