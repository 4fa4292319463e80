/** The store kit of `@tessera/core/store`: what every store is built with. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { StoreUnavailableError, TesseraConfigError } from "../src/index.js";
import {
  endOf,
  fieldsOfKind,
  isLive,
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
