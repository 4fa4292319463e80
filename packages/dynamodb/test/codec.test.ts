/**
 * The item codec is written field by field (no generic marshaller): these checks hold it to the
 * record type, so a field added to `SessionRecord` breaks the build until the codec keeps it.
 */

import type { SessionRecord } from "@tessera/core/store";
import { makeRecord } from "@tessera/store-test";
import { describe, expect, it } from "vitest";
import { attributesOf, fromItem, type RecordAttributes, toItem } from "../src/item.js";
import { resolveLayout } from "../src/layout.js";

const layout = resolveLayout({ tableName: "codec-test" });

describe("item codec", () => {
  it("writes every field but id and userId as an attribute of its own name", () => {
    const record = makeRecord({ previousSecretHash: "previous", rotationNonce: "nonce" });
    const written = Object.keys(attributesOf(record)).sort();
    const fields = Object.keys(record)
      .filter((field) => field !== "id" && field !== "userId")
      .sort();
    expect(written).toEqual(fields);
  });

  it("reads back exactly the record it wrote", () => {
    const record = makeRecord({ previousSecretHash: "previous", data: { n: 1e300, list: [1] } });
    expect(fromItem(layout, toItem(layout, record))).toEqual(record);
  });

  it("fails to compile when the record gains a field the codec does not write", () => {
    type Grown = SessionRecord & { addedLater: string };
    const attributes = attributesOf(makeRecord());
    // @ts-expect-error: the attributes written for today's record miss `addedLater`
    const grown: RecordAttributes<Grown> = attributes;
    expect(Object.hasOwn(grown, "addedLater")).toBe(false);
  });
});
