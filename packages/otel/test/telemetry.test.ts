import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import {
  createSessions,
  MemoryStore,
  type Sessions,
  type SessionsOptions,
  StoreUnavailableError,
} from "@tessera/core";
import { isSessions } from "@tessera/core/http";
import type { RevocationEpochs, SessionRecord } from "@tessera/core/store";
import { afterEach, describe, expect, it } from "vitest";
import { ATTRIBUTES, METRICS } from "../src/index.js";
import { observed, sumOf } from "./sdk.js";

const LAPTOP = {
  ip: "203.0.113.7",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
};
const PHONE = {
  ip: "198.51.100.23",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
};

let sdk: ReturnType<typeof observed>;
afterEach(async () => {
  await sdk?.shutdown();
});

/** A clock the test moves, and sessions on a MemoryStore instrumented by `sdk`. */
function setup(options: Partial<SessionsOptions> = {}, telemetry = {}) {
  sdk = observed(telemetry);
  let at = Date.UTC(2026, 0, 1);
  const clock = {
    now: () => at,
    advance: (seconds: number) => {
      at += seconds * 1000;
    },
  };
  // The store's own clock stands still: expiry is core's decision here, seen as "expired".
  const store = new MemoryStore({ now: () => 0 });
  const sessions = sdk.telemetry.createSessions(
    { store, now: clock.now, rotation: { interval: 60, grace: 5 }, ...options },
    { storeName: "memory" },
  );
  return { sessions, clock, store };
}

/** Calls whichever step-up method this core has (`reauthenticate(token, client)` or the older `reauthenticated(id)`). */
async function stepUp(sessions: Sessions, token: string, sessionId: string) {
  const api = sessions as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  if (typeof api["reauthenticate"] === "function") {
    return api["reauthenticate"]!(token, LAPTOP);
  }
  return api["reauthenticated"]!(sessionId);
}

describe("a validated session", () => {
  it("is one tessera.validate span with result ok, the store read nested under it", async () => {
    const { sessions } = setup();
    const { token } = await sessions.create({ userId: "alice", client: LAPTOP });
    expect((await sessions.validate(token, LAPTOP)).ok).toBe(true);

    const [validate] = sdk.spansNamed("tessera.validate");
    expect(validate?.attributes[ATTRIBUTES.result]).toBe("ok");
    expect(validate?.attributes[ATTRIBUTES.newToken]).toBe(false);
    const reads = sdk.spansNamed("tessera.store.get");
    expect(reads).toHaveLength(1);
    expect(reads[0]!.kind).toBe(SpanKind.CLIENT);
    expect(reads[0]!.parentSpanContext?.spanId).toBe(validate!.spanContext().spanId);
    expect(reads[0]!.attributes).toMatchObject({
      [ATTRIBUTES.storeOperation]: "get",
      [ATTRIBUTES.storeName]: "memory",
      [ATTRIBUTES.dbOperation]: "get",
    });
    expect(reads[0]!.attributes[ATTRIBUTES.dbSystem]).toBeUndefined();
    expect(sdk.spansNamed("tessera.create")).toHaveLength(1);
    expect(sdk.spansNamed("tessera.store.create")).toHaveLength(1);

    const validations = await sdk.points(METRICS.validations);
    expect(validations).toEqual([{ attributes: { [ATTRIBUTES.result]: "ok" }, value: 1 }]);
    const storeTimes = await sdk.points(METRICS.storeDuration);
    expect(sumOf(storeTimes, { [ATTRIBUTES.storeOperation]: "get" })).toBe(1);
    expect(sumOf(storeTimes, { [ATTRIBUTES.storeOperation]: "create" })).toBe(1);
    expect(await sdk.points(METRICS.storeErrors)).toEqual([]);
    const durations = await sdk.points(METRICS.operationDuration);
    expect(
      sumOf(durations, { [ATTRIBUTES.operation]: "validate", [ATTRIBUTES.result]: "ok" }),
    ).toBe(1);
  });

  it("nests under the request's span when there is one", async () => {
    const { sessions } = setup();
    const { token } = await sessions.create({ userId: "alice", client: LAPTOP });
    // The span of the HTTP server instrumentation, as the app's context carries it.
    const request = trace.wrapSpanContext({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    });
    await context.with(trace.setSpan(context.active(), request), () =>
      sessions.validate(token, LAPTOP),
    );
    const [validate] = sdk.spansNamed("tessera.validate");
    expect(validate?.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(validate?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
  });

  it("counts a rotation when the interval has passed, and marks the span as handing back a token", async () => {
    const { sessions, clock } = setup();
    const { token } = await sessions.create({ userId: "alice", client: LAPTOP });
    clock.advance(61);
    const rotated = await sessions.validate(token, LAPTOP);
    expect(rotated.ok && rotated.token).toBeTruthy();

    const spans = sdk.spansNamed("tessera.validate");
    expect(spans.at(-1)?.attributes[ATTRIBUTES.newToken]).toBe(true);
    expect(spans.at(-1)?.events.map((event) => event.name)).toContain("session.rotated");
    expect(await sdk.points(METRICS.rotations)).toEqual([{ attributes: {}, value: 1 }]);
    expect(
      sumOf(await sdk.points(METRICS.events), { [ATTRIBUTES.eventType]: "session.rotated" }),
    ).toBe(1);
  });

  it("counts a soft binding change by mode and marks the span", async () => {
    const { sessions } = setup();
    const { token } = await sessions.create({ userId: "alice", client: LAPTOP });
    const moved = await sessions.validate(token, PHONE);
    expect(moved.ok && moved.session.bindingChanged).toBe(true);
    expect(sdk.spansNamed("tessera.validate")[0]?.attributes[ATTRIBUTES.bindingChanged]).toBe(true);
    expect(await sdk.points(METRICS.bindingMismatches)).toEqual([
      { attributes: { [ATTRIBUTES.bindingMode]: "soft" }, value: 1 },
    ]);
  });

  it("counts a step-up by result", async () => {
    const { sessions } = setup();
    const { session, token } = await sessions.create({ userId: "alice", client: LAPTOP });
    await stepUp(sessions, token, session.id);
    expect(await sdk.points(METRICS.stepUps)).toEqual([
      { attributes: { [ATTRIBUTES.result]: "ok" }, value: 1 },
    ]);
    const names = sdk.spans().map((span) => span.name);
    expect(names.some((name) => name.startsWith("tessera.reauthenticate"))).toBe(true);
  });
});

describe("a refused validation", () => {
  it("records the reason on the span and in the validations counter, for every reason", async () => {
    const { sessions, clock } = setup({ binding: { ip: "strict" }, idleTimeout: 600 });
    const reasons: string[] = [];
    const expectRefused = async (token: unknown, client = LAPTOP) => {
      const result = await sessions.validate(token, client);
      expect(result.ok).toBe(false);
      if (!result.ok) reasons.push(result.reason);
    };

    await expectRefused("not a token");
    const { token } = await sessions.create({ userId: "alice", client: LAPTOP });
    const [id] = token.split(".");
    await expectRefused(`${"a".repeat(id!.length)}.${"b".repeat(token.length - id!.length - 1)}`);
    await expectRefused(`${id}.${"b".repeat(token.length - id!.length - 1)}`);
    await expectRefused(token, PHONE);

    clock.advance(61);
    const rotated = await sessions.validate(token, LAPTOP);
    const next = rotated.ok ? rotated.token! : "";
    expect((await sessions.validate(next, LAPTOP)).ok).toBe(true); // the new secret is confirmed
    clock.advance(10); // past the 5 s grace
    await expectRefused(token); // the retired secret again: theft

    const other = await sessions.create({ userId: "bob", client: LAPTOP });
    clock.advance(601);
    await expectRefused(other.token);

    expect(reasons).toEqual([
      "malformed",
      "not-found",
      "invalid-secret",
      "binding-mismatch",
      "reused",
      "expired",
    ]);
    const validations = await sdk.points(METRICS.validations);
    for (const reason of reasons) {
      expect(
        sumOf(validations, { [ATTRIBUTES.result]: "refused", [ATTRIBUTES.reason]: reason }),
      ).toBe(1);
    }
    const spanReasons = sdk
      .spansNamed("tessera.validate")
      .filter((span) => span.attributes[ATTRIBUTES.result] === "refused")
      .map((span) => span.attributes[ATTRIBUTES.reason]);
    expect(spanReasons).toEqual(reasons);
    expect(await sdk.points(METRICS.reuseDetections)).toEqual([{ attributes: {}, value: 1 }]);
    expect(
      sumOf(await sdk.points(METRICS.bindingMismatches), { [ATTRIBUTES.bindingMode]: "strict" }),
    ).toBe(1);
    // A refusal is an answer, not a failure: the spans are not marked as errors.
    expect(
      sdk.spansNamed("tessera.validate").every((span) => span.status.code !== SpanStatusCode.ERROR),
    ).toBe(true);
  });
});

describe("a store that fails", () => {
  class FailingStore extends MemoryStore {
    override get(): Promise<SessionRecord | null> {
      return Promise.reject(
        Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      );
    }
    // validate's read (the record with its revocation epochs), traced as `get`
    override getWithEpochs(): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
      return Promise.reject(
        Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      );
    }
  }

  it("marks the store span and the session span as errors and counts the store error", async () => {
    sdk = observed();
    const sessions = sdk.telemetry.createSessions(
      { store: new FailingStore() },
      { storeName: "redis" },
    );
    const { token } = await sessions.create({ userId: "alice" });
    await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);

    const [read] = sdk.spansNamed("tessera.store.get");
    expect(read?.status.code).toBe(SpanStatusCode.ERROR);
    expect(read?.attributes[ATTRIBUTES.errorType]).toBe("ECONNREFUSED");
    expect(read?.attributes[ATTRIBUTES.dbSystem]).toBe("redis");
    const [validate] = sdk.spansNamed("tessera.validate");
    expect(validate?.status.code).toBe(SpanStatusCode.ERROR);
    expect(validate?.attributes).toMatchObject({
      [ATTRIBUTES.result]: "error",
      [ATTRIBUTES.errorType]: "store-unavailable",
    });
    expect(await sdk.points(METRICS.storeErrors)).toEqual([
      {
        attributes: {
          [ATTRIBUTES.storeName]: "redis",
          [ATTRIBUTES.dbSystem]: "redis",
          [ATTRIBUTES.storeOperation]: "get",
          [ATTRIBUTES.dbOperation]: "get",
          [ATTRIBUTES.errorType]: "ECONNREFUSED",
        },
        value: 1,
      },
    ]);
    expect(
      sumOf(await sdk.points(METRICS.validations), {
        [ATTRIBUTES.result]: "error",
        [ATTRIBUTES.errorType]: "store-unavailable",
      }),
    ).toBe(1);
  });

  it("counts a call core abandoned after storeTimeout as a timeout, once, even when it answers late", async () => {
    let release: (() => void) | undefined;
    class SlowStore extends MemoryStore {
      override getWithEpochs(
        id: string,
      ): Promise<{ record: SessionRecord; epochs: RevocationEpochs } | null> {
        return new Promise((resolve) => {
          release = () => resolve(super.getWithEpochs(id));
        });
      }
    }
    sdk = observed();
    const sessions = sdk.telemetry.createSessions({ store: new SlowStore(), storeTimeout: 30 });
    const { token } = await sessions.create({ userId: "alice" });
    await expect(sessions.validate(token)).rejects.toBeInstanceOf(StoreUnavailableError);

    // Core gave up on the call; its span is closed as a timeout although the store never answered.
    const [read] = sdk.spansNamed("tessera.store.get");
    expect(read?.attributes[ATTRIBUTES.errorType]).toBe("timeout");
    expect(read?.attributes[ATTRIBUTES.storeName]).toBe("slow");
    release!();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sdk.spansNamed("tessera.store.get")).toHaveLength(1);
    expect(
      sumOf(await sdk.points(METRICS.storeErrors), { [ATTRIBUTES.errorType]: "timeout" }),
    ).toBe(1);
  });

  it("counts a call that answered after the timeout as a timeout when used without the session wrapper", async () => {
    sdk = observed();
    class LateStore extends MemoryStore {
      override async get(id: string): Promise<SessionRecord | null> {
        await new Promise((resolve) => setTimeout(resolve, 40));
        return super.get(id);
      }
    }
    const store = sdk.telemetry.instrumentStore(new LateStore(), { name: "late", timeoutMs: 20 });
    await store.get("x".repeat(24));
    expect(sdk.spansNamed("tessera.store.get")[0]?.attributes[ATTRIBUTES.errorType]).toBe(
      "timeout",
    );
  });
});

describe("HTTP answers", () => {
  it("are counted by status through recordAnswer, a plain (status) => void", async () => {
    sdk = observed();
    const onAnswer: (status: number) => void = sdk.telemetry.recordAnswer;
    onAnswer(503);
    onAnswer(503);
    onAnswer(401);
    const points = await sdk.points(METRICS.answers);
    expect(sumOf(points, { [ATTRIBUTES.httpStatus]: 503 })).toBe(2);
    expect(sumOf(points, { [ATTRIBUTES.httpStatus]: 401 })).toBe(1);
  });
});

describe("what never leaves", () => {
  it("no token, secret or full IP in any span, span event or metric attribute; an IP prefix only when asked", async () => {
    const { sessions, clock } = setup({}, { ipPrefix: true, recordIds: true });
    const { session, token } = await sessions.create({ userId: "alice", client: LAPTOP });
    await sessions.validate(token, PHONE);
    clock.advance(61);
    const rotated = await sessions.validate(token, LAPTOP);
    await sessions.list("alice");
    await sessions.revoke(session.id);
    const secrets = [token, token.split(".")[1]!, rotated.ok ? rotated.token! : "-"];
    const secretParts = secrets.map((value) => value.split(".").at(-1)!);

    const dump = JSON.stringify([
      sdk.spans().map((span) => [span.attributes, span.events.map((event) => event.attributes)]),
      await Promise.all(Object.values(METRICS).map((name) => sdk.points(name))),
    ]);
    for (const secret of secretParts) expect(dump).not.toContain(secret);
    expect(dump).not.toContain(LAPTOP.ip);
    expect(dump).not.toContain(PHONE.ip);
    expect(dump).toContain("203.0.113.0/24");
    // Ids were asked for here: the session id (never the secret) and the user id.
    expect(dump).toContain(session.id);
    expect(dump).toContain("alice");
  });

  it("leaves ids and prefixes out by default", async () => {
    const { sessions } = setup();
    const { session, token } = await sessions.create({ userId: "alice", client: LAPTOP });
    await sessions.validate(token, LAPTOP);
    const dump = JSON.stringify(sdk.spans().map((span) => span.attributes));
    expect(dump).not.toContain(session.id);
    expect(dump).not.toContain("alice");
    expect(dump).not.toContain("203.0.113");
  });
});

describe("the wrappers", () => {
  it("keep the session manager usable by every integration (isSessions, tokenFrom, cookie)", async () => {
    sdk = observed();
    const sessions = sdk.telemetry.instrumentSessions(createSessions({ store: new MemoryStore() }));
    expect(isSessions(sessions)).toBe(true);
    const { token } = await sessions.create({ userId: "alice" });
    expect(sessions.tokenFrom({ authorization: `Bearer ${token}` })).toEqual({
      token,
      source: "bearer",
    });
    expect(sessions.cookie.serialize(token)).toContain(token);
    // tokenFrom is synchronous and on every request: no span for it.
    expect(sdk.spans().map((span) => span.name)).toEqual(["tessera.create"]);
  });

  it("pass a store's own extra members through untouched", async () => {
    sdk = observed();
    const store = sdk.telemetry.instrumentStore(new MemoryStore());
    const sessions = createSessions({ store, onEvent: sdk.telemetry.observe });
    await sessions.create({ userId: "alice" });
    expect(store.size).toBe(1);
    expect(sdk.spansNamed("tessera.store.create")[0]?.attributes[ATTRIBUTES.storeName]).toBe(
      "memory",
    );
    expect(
      sumOf(await sdk.points(METRICS.events), { [ATTRIBUTES.eventType]: "session.created" }),
    ).toBe(1);
  });

  it("still call the application's own onEvent after counting", async () => {
    sdk = observed();
    const seen: string[] = [];
    const sessions = sdk.telemetry.createSessions({
      store: new MemoryStore(),
      onEvent: (event) => {
        seen.push(event.type);
      },
    });
    const { session } = await sessions.create({ userId: "alice" });
    await sessions.revoke(session.id);
    expect(seen).toEqual(["session.created", "session.revoked"]);
    expect(sdk.spansNamed("tessera.revoke")[0]?.attributes[ATTRIBUTES.result]).toBe("ok");
  });
});
