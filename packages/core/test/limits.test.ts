/**
 * The built-in limits: the memory counter, `takeLimits`, and the login throttle's rules (per
 * pair with backoff, per address, never the owner locked out from elsewhere). Over real HTTP in
 * @tessera/express's and @tessera/hono's limit tests.
 */
import { describe, expect, it } from "vitest";
import {
  addressKey,
  createLoginThrottle,
  createMemoryCounter,
  takeLimits,
  tooManyRequestsAnswer,
} from "../src/http/index.js";
import { TesseraConfigError } from "../src/index.js";

const MINUTE = 60_000;

function clocked() {
  const clock = { now: 1_000_000 };
  return { clock, counter: createMemoryCounter({ now: () => clock.now }) };
}

describe("memory counter: fixed windows", () => {
  it("counts hits in a window and starts again when it ends", async () => {
    const { clock, counter } = clocked();
    expect(await counter.hit("k", MINUTE)).toEqual({ count: 1, resetInMs: MINUTE });
    clock.now += 10_000;
    expect(await counter.hit("k", MINUTE)).toEqual({ count: 2, resetInMs: 50_000 });
    expect(await counter.peek("k")).toEqual({ count: 2, resetInMs: 50_000 });
    clock.now += 50_000;
    expect(await counter.peek("k")).toBeNull();
    expect(await counter.hit("k", MINUTE)).toEqual({ count: 1, resetInMs: MINUTE });
    await counter.reset("k");
    expect(await counter.peek("k")).toBeNull();
  });

  it("holds at most maxKeys, dropping ended windows first", async () => {
    const clock = { now: 0 };
    const counter = createMemoryCounter({ now: () => clock.now, maxKeys: 2 });
    await counter.hit("old", 10);
    await counter.hit("live", MINUTE);
    clock.now = 20;
    await counter.hit("new", MINUTE);
    expect(await counter.peek("live")).not.toBeNull();
    expect(await counter.peek("new")).not.toBeNull();
  });
});

describe("memory counter: bounded memory", () => {
  it("drops the oldest live key when every window is live and the bound is reached", async () => {
    const counter = createMemoryCounter({ now: () => 0, maxKeys: 2 });
    await counter.hit("a", MINUTE);
    await counter.hit("b", MINUTE);
    await counter.hit("c", MINUTE);
    expect(await counter.peek("a")).toBeNull();
    expect((await counter.peek("b"))?.count).toBe(1);
    expect((await counter.peek("c"))?.count).toBe(1);
  });

  it("refuses a bound that is not a whole number of keys from 1", () => {
    for (const maxKeys of [0, 1.5, -1]) {
      expect(() => createMemoryCounter({ maxKeys }), String(maxKeys)).toThrow(TesseraConfigError);
    }
  });
});

describe("takeLimits", () => {
  it("counts every key and answers the longest wait of those over", async () => {
    const { counter } = clocked();
    const limits = [
      ["a", { max: 1, windowSeconds: 60 }],
      ["b", { max: 3, windowSeconds: 10 }],
    ] as const;
    expect(await takeLimits(counter, limits)).toBeNull();
    expect(await takeLimits(counter, limits)).toBe(60);
    expect((await counter.peek("b"))?.count).toBe(2);
  });
});

describe("the 429 answer", () => {
  it("is the gate's JSON refusal with a whole Retry-After of at least one second", () => {
    const answer = tooManyRequestsAnswer(0.2);
    expect(answer.status).toBe(429);
    expect(answer.body).toBe('{"error":"too-many-requests"}');
    expect(answer.headers).toEqual({
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "retry-after": "1",
    });
    expect(tooManyRequestsAnswer(61.5).headers["retry-after"]).toBe("62");
  });
});

describe("addressKey", () => {
  it("counts IPv4 by address and IPv6 by /64, and an unknown address not at all", () => {
    expect(addressKey("203.0.113.9")).toBe("203.0.113.9/32");
    expect(addressKey("2001:db8:1:2::1")).toBe(addressKey("2001:db8:1:2:ffff::9"));
    expect(addressKey("2001:db8:1:3::1")).not.toBe(addressKey("2001:db8:1:2::1"));
    expect(addressKey(undefined)).toBeNull();
  });
});

describe("login throttle", () => {
  const attacker = { account: "alice", address: "198.51.100.66" };
  const owner = { account: "alice", address: "203.0.113.5" };

  async function fail(throttle: ReturnType<typeof createLoginThrottle>, times: number) {
    for (let i = 0; i < times; i++) {
      expect(await throttle.check(attacker)).toBeNull();
      await throttle.failed(attacker);
    }
  }

  it("locks an (account, address) pair after its failures, and never the owner elsewhere", async () => {
    const { counter } = clocked();
    const throttle = createLoginThrottle({ counter });
    await fail(throttle, 5);
    const refused = await throttle.check(attacker);
    expect(refused?.status).toBe(429);
    expect(refused?.headers["retry-after"]).toBe("900");
    // The owner, from another address, is not locked by the attacker's failures.
    expect(await throttle.check(owner)).toBeNull();
  });

  it("doubles the lock at each strike (backoff), up to maxLockSeconds", async () => {
    const { clock, counter } = clocked();
    const throttle = createLoginThrottle({ counter, maxLockSeconds: 2 * 900 });
    const locks: string[] = [];
    for (let strike = 0; strike < 3; strike++) {
      await fail(throttle, 5);
      const refused = await throttle.check(attacker);
      locks.push(refused!.headers["retry-after"]!);
      clock.now += Number(refused!.headers["retry-after"]) * 1000;
    }
    expect(locks).toEqual(["900", "1800", "1800"]);
  });

  it("forgets a pair's failures and strikes after a right password", async () => {
    const { counter } = clocked();
    const throttle = createLoginThrottle({ counter });
    await fail(throttle, 4);
    await throttle.succeeded(attacker);
    await fail(throttle, 4);
    expect(await throttle.check(attacker)).toBeNull();
  });

  it("caps the attempts of one address across accounts", async () => {
    const { counter } = clocked();
    const throttle = createLoginThrottle({ counter, perAddress: { max: 3, windowSeconds: 60 } });
    for (const account of ["a", "b", "c"]) {
      expect(await throttle.check({ account, address: attacker.address })).toBeNull();
    }
    const refused = await throttle.check({ account: "d", address: attacker.address });
    expect(refused?.headers["retry-after"]).toBe("60");
    expect(await throttle.check({ account: "d", address: owner.address })).toBeNull();
  });

  it("refuses an attempt without the account as a string", async () => {
    const throttle = createLoginThrottle();
    await expect(throttle.check({ account: 42 as never, address: null })).rejects.toThrow(
      TesseraConfigError,
    );
    await expect(throttle.failed({} as never)).rejects.toThrow(TesseraConfigError);
  });

  it("counts an unknown address per account only, never in a shared address bucket", async () => {
    const { counter } = clocked();
    const throttle = createLoginThrottle({ counter, perAddress: { max: 1, windowSeconds: 60 } });
    for (const account of ["a", "b", "c"]) {
      expect(await throttle.check({ account, address: undefined })).toBeNull();
    }
  });

  it("refuses limits that are not whole positive numbers", () => {
    for (const options of [
      { perAccountAndAddress: { max: 0, windowSeconds: 60 } },
      { perAccountAndAddress: false as never },
      { perAddress: { max: 1.5, windowSeconds: 60 } },
      { maxLockSeconds: -1 },
      { name: "has space" },
      { maxLockSeconds: 0 },
      { strikeMemorySeconds: 0.5 },
      { counter: {} as never },
    ]) {
      expect(() => createLoginThrottle(options), JSON.stringify(options)).toThrow(
        TesseraConfigError,
      );
    }
  });
});
