import { describe, expect, it } from "vitest";
import { createDeadline } from "../src/store/index.js";

describe("createDeadline", () => {
  it("passes a prompt answer or failure through untouched", async () => {
    const deadline = createDeadline(1000);
    await expect(deadline(Promise.resolve(7), () => new Error("late"))).resolves.toBe(7);
    const failure = new Error("refused");
    await expect(deadline(Promise.reject(failure), () => new Error("late"))).rejects.toBe(failure);
  });

  it("rejects with the caller's error once the time is up, for every call pending", async () => {
    const deadline = createDeadline(50);
    const never = new Promise<never>(() => {});
    const started = Date.now();
    const results = await Promise.allSettled([
      deadline(never, () => new Error("first late")),
      deadline(never, () => new Error("second late")),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : r))).toEqual(
      ["first late", "second late"],
    );
  });

  it("does nothing with a timeout of 0", async () => {
    const pending = Promise.resolve("as is");
    expect(createDeadline(0)(pending, () => new Error("never"))).toBe(pending);
  });
});
