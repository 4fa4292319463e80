/** The store kit beyond its field list: `createStoreCall`, failure hints, store methods, field kinds. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { SessionConflictError, StoreUnavailableError } from "../src/index.js";
import {
  createStoreCall,
  type FieldOfKind,
  fieldsOfKind,
  type SessionRecord,
  type SessionStore,
  STORE_EPOCH_METHODS,
  STORE_METHODS,
  storeFailure,
} from "../src/store/index.js";

const refused = () =>
  Object.assign(new Error("connect to 10.0.0.1 refused"), { code: "ECONNREFUSED" });

describe("createStoreCall", () => {
  it("passes answers through and turns a driver error into StoreUnavailableError by its code", async () => {
    const call = createStoreCall("Redis");
    await expect(call("GET", async () => "value")).resolves.toBe("value");
    const driver = refused();
    const error = await call("GET", () => Promise.reject(driver)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("Redis GET failed (ECONNREFUSED)");
    expect((error as Error).cause).toBe(driver);
  });

  it("lets a store's own Tessera errors through unchanged", async () => {
    const conflict = new SessionConflictError("taken");
    const call = createStoreCall("Redis");
    await expect(call("SET", () => Promise.reject(conflict))).rejects.toBe(conflict);
  });

  it("rejects a call that outlives its timeout, naming the store and the operation", async () => {
    const call = createStoreCall("Redis", { timeout: 30 });
    const error = await call("GET", () => new Promise(() => {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("Redis did not answer GET within 30 ms");
  });

  it("reports the driver's own error out of a wrapper, never the wrapper's message", async () => {
    const driver = refused();
    const wrapper = Object.assign(new Error("insert into sessions values ('alice@example.com')"), {
      cause: driver,
    });
    const call = createStoreCall("Postgres", {
      unwrap: (error) => (error as Error).cause ?? error,
    });
    const error = await call("create", () => Promise.reject(wrapper)).catch((e: unknown) => e);
    expect(`${error} ${(error as Error).cause}`).not.toContain("alice@example.com");
    expect((error as Error).cause).toBe(driver);
  });
});

describe("storeFailure hints", () => {
  it("adds the hint for the error's code, and nothing for other codes", () => {
    const missing = Object.assign(new Error("x"), { name: "ResourceNotFoundException" });
    const hints = { ResourceNotFoundException: "no such table" };
    expect(storeFailure("DynamoDB", "GetItem", missing, hints).message).toBe(
      "DynamoDB GetItem failed (ResourceNotFoundException): no such table",
    );
    expect(storeFailure("DynamoDB", "GetItem", refused(), hints).message).toBe(
      "DynamoDB GetItem failed (ECONNREFUSED)",
    );
    // Only the table's own entries count, never what every object inherits.
    const inherited = Object.assign(new Error("x"), { name: "toString" });
    expect(storeFailure("DynamoDB", "GetItem", inherited, {}).message).toBe(
      "DynamoDB GetItem failed (toString)",
    );
  });
});

describe("STORE_METHODS", () => {
  it("names exactly the required methods of a SessionStore, and the epoch ones beside them", () => {
    expectTypeOf<
      (typeof STORE_METHODS)[number] | (typeof STORE_EPOCH_METHODS)[number]
    >().toEqualTypeOf<keyof SessionStore>();
    expect(new Set(STORE_METHODS)).toEqual(
      new Set(["create", "get", "update", "delete", "listByUser", "deleteByUser"]),
    );
    expect(new Set(STORE_EPOCH_METHODS)).toEqual(
      new Set(["getWithEpochs", "readEpochs", "raiseEpoch"]),
    );
  });
});

describe("fieldsOfKind", () => {
  it("types the names it returns: a time field indexes a record as a number", () => {
    expectTypeOf(fieldsOfKind("time")).toEqualTypeOf<readonly FieldOfKind<"time">[]>();
    expectTypeOf<SessionRecord[FieldOfKind<"time">]>().toEqualTypeOf<number>();
    expectTypeOf<FieldOfKind<"client">>().toEqualTypeOf<"client">();
    expect(fieldsOfKind("client")).toEqual(["client"]);
  });
});
