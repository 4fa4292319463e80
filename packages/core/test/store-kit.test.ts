/** The store kit of `@tessera/core/store`: what every store is built with. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { StoreUnavailableError, TesseraConfigError } from "../src/index.js";
import {
  columnLayout,
  endOf,
  fieldsOfKind,
  isLive,
  oncePerMillisecond,
  type PerField,
  RECORD_FIELD_NAMES,
  RECORD_FIELDS,
  type SessionRecord,
  storeFailure,
} from "../src/store/index.js";

describe("the record's field list", () => {
  it("names every field of SessionRecord, and only those", () => {
    expectTypeOf<keyof typeof RECORD_FIELDS>().toEqualTypeOf<keyof SessionRecord>();
    expect(new Set(RECORD_FIELD_NAMES).size).toBe(Object.keys(RECORD_FIELDS).length);
  });

  it("makes a codec's per-field table incomplete without a new field (a compile error)", () => {
    // @ts-expect-error: a table that forgets a field of the record does not type-check
    const partial: PerField<string> = { id: "id" };
    expect(partial).toBeDefined();
  });

  it("groups fields by how they are kept", () => {
    expect(fieldsOfKind("time")).toEqual([
      "createdAt",
      "authenticatedAt",
      "freshUntil",
      "lastActiveAt",
      "rotatedAt",
      "expiresAt",
      "absoluteExpiresAt",
    ]);
    expect(fieldsOfKind("nullable-string")).toEqual([
      "userId",
      "impersonatedBy",
      "previousSecretHash",
      "rotationNonce",
    ]);
    expect(fieldsOfKind("string")).toEqual(["id", "policy", "secretHash"]);
  });
});

describe("a table store's column layout", () => {
  // The columns of a store that keeps the client in three columns, named as drizzle properties.
  const COLUMNS = {
    ...Object.fromEntries(RECORD_FIELD_NAMES.map((field) => [field, [field]])),
    client: ["clientIp", "clientUa", "clientDeviceId"],
  } as unknown as PerField<readonly [string]> & {
    client: readonly ["clientIp", "clientUa", "clientDeviceId"];
  };

  it("lists every column in field order and gives each its position in a selected row", () => {
    const { columns, at } = columnLayout(COLUMNS);
    expect(columns).toHaveLength(RECORD_FIELD_NAMES.length + 2);
    expect(columns.slice(0, 2)).toEqual(["id", "userId"]);
    expect(columns.indexOf("clientIp")).toBe(RECORD_FIELD_NAMES.indexOf("client"));
    for (const [index, column] of columns.entries()) expect(at[column]).toBe(index);
    const row = columns.map((column) => `value of ${column}`);
    expect(row[at.clientUa!]).toBe("value of clientUa");
  });

  it("writes every column on update but the id's and the user's", () => {
    const { columns, mutable } = columnLayout(COLUMNS);
    expect(mutable).toEqual(columns.filter((c) => c !== "id" && c !== "userId"));
    expect(mutable).toContain("clientDeviceId");
  });

  it("is frozen, so a store cannot reorder another's rows by accident", () => {
    const layout = columnLayout(COLUMNS);
    expect(Object.isFrozen(layout.columns)).toBe(true);
    expect(Object.isFrozen(layout.at)).toBe(true);
    expect(Object.isFrozen(layout.mutable)).toBe(true);
  });
});

describe("oncePerMillisecond", () => {
  it("formats each millisecond once and returns the same text within it", () => {
    let calls = 0;
    const iso = oncePerMillisecond((ms) => {
      calls++;
      return new Date(ms).toISOString();
    });
    expect(iso(1_700_000_000_000)).toBe("2023-11-14T22:13:20.000Z");
    expect(iso(1_700_000_000_000)).toBe("2023-11-14T22:13:20.000Z");
    expect(calls).toBe(1);
    expect(iso(1_700_000_000_001)).toBe("2023-11-14T22:13:20.001Z");
    expect(iso(1_700_000_000_000)).toBe("2023-11-14T22:13:20.000Z");
    expect(calls).toBe(3);
  });

  it("keeps a memo per formatter", () => {
    const a = oncePerMillisecond((ms) => `a${ms}`);
    const b = oncePerMillisecond((ms) => `b${ms}`);
    expect(a(5)).toBe("a5");
    expect(b(5)).toBe("b5");
  });
});

describe("liveness", () => {
  it("is live until the earlier of the idle and the absolute expiry", () => {
    const record = { expiresAt: 2_000, absoluteExpiresAt: 1_500 };
    expect(endOf(record)).toBe(1_500);
    expect(isLive(record, 1_499)).toBe(true);
    expect(isLive(record, 1_500)).toBe(false);
    expect(isLive({ expiresAt: 1_000, absoluteExpiresAt: 5_000 }, 1_000)).toBe(false);
  });
});

describe("storeFailure", () => {
  it("turns a driver error into StoreUnavailableError naming its code, never its message", () => {
    const driver = Object.assign(new Error("insert into sessions values ('secret data')"), {
      code: "ECONNREFUSED",
    });
    const error = storeFailure("Redis", "GET", driver);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toBe("Redis GET failed (ECONNREFUSED)");
    expect(error.cause).toBe(driver);
    expect(storeFailure("Postgres", "get", new Error("x")).message).toBe("Postgres get failed");
  });

  it("lets Tessera's own errors through unchanged", () => {
    const config = new TesseraConfigError("bad");
    expect(storeFailure("Redis", "GET", config)).toBe(config);
  });
});
