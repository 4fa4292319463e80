import { describe, expect, it } from "vitest";
import { compareBinding, type ResolvedBinding, toStoredClient } from "../src/binding.js";
import { CACHE_SIZE, cacheSizes } from "../src/caches.js";
import { ipPrefix } from "../src/ip.js";
import { parseUserAgent, userAgentFingerprint } from "../src/user-agent.js";

const CHROME_MAC_131 =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CHROME_MAC_132 = CHROME_MAC_131.replace("Chrome/131.0.0.0", "Chrome/132.0.6834.83");
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IOS =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const EDGE_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70";
const CHROME_ANDROID =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36";

describe("IP prefix", () => {
  it.each([
    ["203.0.113.77", "203.0.113.0/24"],
    ["::ffff:203.0.113.77", "203.0.113.0/24"],
    ["2001:db8:85a3:1234:8a2e:370:7334:1", "2001:db8:85a3:1234::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["[2001:db8::1]", "2001:db8:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("maps %s to %s", (ip, prefix) => {
    expect(ipPrefix(ip)).toBe(prefix);
  });

  it("honours custom prefix lengths", () => {
    expect(ipPrefix("203.0.113.77", 16)).toBe("203.0.0.0/16");
    expect(ipPrefix("203.0.113.77", 32)).toBe("203.0.113.77/32");
    expect(ipPrefix("2001:db8:85a3:1234:8a2e:370:7334:1", 24, 48)).toBe("2001:db8:85a3::/48");
  });

  it.each(["", "localhost", "1.2.3", "256.1.1.1", "1:2:3", "1::2::3", "01234::"])(
    "returns undefined for %j",
    (ip) => {
      expect(ipPrefix(ip)).toBeUndefined();
    },
  );
});

describe("user-agent fingerprint", () => {
  it("tells headless Chrome (automation) apart from a person's Chrome", () => {
    const headless =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
    const person =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    expect(parseUserAgent(headless)).toEqual({
      family: "headless-chrome",
      major: 156,
      os: "linux",
    });
    expect(userAgentFingerprint(headless)).not.toBe(userAgentFingerprint(person));
  });

  it.each([
    [CHROME_MAC_131, "chrome/131/macos"],
    [FIREFOX_LINUX, "firefox/133/linux"],
    [SAFARI_IOS, "safari/18/ios"],
    [EDGE_WINDOWS, "edge/131/windows"],
    [CHROME_ANDROID, "chrome/131/android"],
    ["curl/8.5.0", "curl/8/other"],
    ["", undefined],
    // Each family by its own token, with every digit of its major version.
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
      "opera/115/windows",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
      "samsung/27/android",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
      "chrome/131/ios",
    ],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/120.0.6099.224 Chrome/120.0.6099.224 Safari/537.36",
      "chromium/120/linux",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
      "safari/18/macos",
    ],
    [
      "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      "chrome/131/chromeos",
    ],
    ["Wget/1.21.4", "wget/1/other"],
    ["okhttp/4.12.0", "okhttp/4/other"],
    ["MyApp", "myapp/0/other"],
    ["1Password/8", "unknown/0/other"],
  ])("fingerprints %s", (ua, fingerprint) => {
    expect(userAgentFingerprint(ua)).toBe(fingerprint);
  });

  it("survives absurd input", () => {
    expect(parseUserAgent("\u0000".repeat(5000)).family).toBe("unknown");
    expect(userAgentFingerprint(`Chrome/${"9".repeat(400)}`)).toBe("chrome/0/other");
  });
});

describe("the stored client", () => {
  it("keeps strings only, bounded: 64 characters of address, 128 of device id", () => {
    expect(toStoredClient({ ip: 7, userAgent: ["x"], deviceId: {} } as never)).toEqual({});
    expect(toStoredClient({ ip: "", userAgent: "", deviceId: "" })).toEqual({});
    expect(toStoredClient(null as never)).toEqual({});
    expect(toStoredClient("203.0.113.7" as never)).toEqual({});
    const long = toStoredClient({ ip: "1".repeat(100), deviceId: "d".repeat(300) });
    expect(long.ip).toHaveLength(64);
    expect(long.deviceId).toHaveLength(128);
    expect(
      toStoredClient({ ip: "203.0.113.7", userAgent: FIREFOX_LINUX, deviceId: "phone-1" }),
    ).toEqual({ ip: "203.0.113.7", ua: "firefox/133/linux", deviceId: "phone-1" });
  });
});

describe("binding comparison", () => {
  const modes = (overrides: Partial<ResolvedBinding> = {}): ResolvedBinding => ({
    ip: "soft",
    userAgent: "soft",
    deviceId: "strict",
    ipv4Prefix: 24,
    ipv6Prefix: 64,
    compare: undefined,
    ...overrides,
  });
  const recorded = toStoredClient({
    ip: "203.0.113.7",
    userAgent: CHROME_MAC_131,
    deviceId: "phone-1",
  });

  it("matches the same client, a neighbour in the same /24 and a browser update", () => {
    const current = toStoredClient({
      ip: "203.0.113.200",
      userAgent: CHROME_MAC_132,
      deviceId: "phone-1",
    });
    expect(compareBinding(modes(), recorded, current)).toBe("match");
  });

  it("notes a new network or browser as a soft change", () => {
    expect(compareBinding(modes(), recorded, { ...recorded, ip: "198.51.100.1" })).toBe("changed");
    expect(
      compareBinding(modes(), recorded, { ...recorded, ua: userAgentFingerprint(FIREFOX_LINUX) }),
    ).toBe("changed");
  });

  it("tells another browser on the same system, and the same browser on another system, apart", () => {
    const chromeMac = userAgentFingerprint(CHROME_MAC_131);
    const safariMac = userAgentFingerprint(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    );
    const chromeWindows = userAgentFingerprint(
      CHROME_MAC_131.replace("Macintosh; Intel Mac OS X 10_15_7", "Windows NT 10.0; Win64; x64"),
    );
    // Each pair differs in one part only, and the newcomer's major version is not lower (an
    // update alone would match): only the other family, or the other system, tells them apart.
    const pairs = [
      [safariMac, chromeMac],
      [chromeWindows, chromeMac],
      [chromeMac, chromeWindows],
    ] as const;
    for (const [before, after] of pairs) {
      const [wasFamily, wasMajor, wasOs] = before!.split("/");
      const [nowFamily, nowMajor, nowOs] = after!.split("/");
      expect(wasFamily === nowFamily || wasOs === nowOs).toBe(true);
      expect(Number(nowMajor)).toBeGreaterThanOrEqual(Number(wasMajor));
      const was = { ...recorded, ua: before };
      expect(compareBinding(modes(), was, { ...was, ua: after })).toBe("changed");
      expect(compareBinding(modes({ userAgent: "strict" }), was, { ...was, ua: after })).toBe(
        "reject",
      );
    }
  });

  it("treats a browser downgrade as a change", () => {
    const old = toStoredClient({ userAgent: CHROME_MAC_131.replace("131", "120") });
    expect(compareBinding(modes(), { ...recorded }, { ...recorded, ua: old.ua })).toBe("changed");
  });

  it("binding compares fields present in both: a soft field the request lacks is no change", () => {
    const { ua: _ua, ...withoutUa } = recorded;
    expect(compareBinding(modes(), recorded, withoutUa)).toBe("match");
    const { ip: _ip, ...withoutIp } = recorded;
    expect(compareBinding(modes(), recorded, withoutIp)).toBe("match");
    // A field present in both still counts when another is missing.
    expect(compareBinding(modes(), recorded, { ...withoutUa, ip: "198.51.100.1" })).toBe("changed");
  });

  it("binding compares fields present in both: a strict field the request lacks is refused", () => {
    const { ua: _ua, ...withoutUa } = recorded;
    expect(compareBinding(modes({ userAgent: "strict" }), recorded, withoutUa)).toBe("reject");
    const { ip: _ip, ...withoutIp } = recorded;
    expect(compareBinding(modes({ ip: "strict" }), recorded, withoutIp)).toBe("reject");
  });

  it("rejects on a strict field and on a different device id", () => {
    expect(
      compareBinding(modes({ ip: "strict" }), recorded, { ...recorded, ip: "198.51.100.1" }),
    ).toBe("reject");
    expect(compareBinding(modes(), recorded, { ...recorded, deviceId: "laptop-9" })).toBe("reject");
  });

  it("ignores fields set to off and fields never recorded", () => {
    const off = modes({ ip: "off", userAgent: "off", deviceId: "off" });
    expect(compareBinding(off, recorded, {})).toBe("match");
    expect(
      compareBinding(modes(), {}, toStoredClient({ ip: "1.1.1.1", userAgent: FIREFOX_LINUX })),
    ).toBe("match");
  });

  it("keeps a strict refusal when a soft field changed too, whatever the order of the fields", () => {
    const moved = { ...recorded, deviceId: "laptop-9", ip: "198.51.100.1" };
    expect(compareBinding(modes(), recorded, moved)).toBe("reject");
    const movedUa = { ...recorded, deviceId: "laptop-9", ua: userAgentFingerprint(FIREFOX_LINUX) };
    expect(compareBinding(modes(), recorded, movedUa)).toBe("reject");
    const strictUa = modes({ userAgent: "strict" });
    const uaAndIp = { ...recorded, ua: userAgentFingerprint(FIREFOX_LINUX), ip: "198.51.100.1" };
    expect(compareBinding(strictUa, recorded, uaAndIp)).toBe("reject");
  });

  it("ignores a field set to off even when the request's value differs", () => {
    const other = {
      ip: "198.51.100.1",
      ua: userAgentFingerprint(FIREFOX_LINUX),
      deviceId: "laptop-9",
    };
    const off = modes({ ip: "off", userAgent: "off", deviceId: "off" });
    expect(compareBinding(off, recorded, other)).toBe("match");
    expect(
      compareBinding(modes({ deviceId: "off" }), recorded, { ...recorded, deviceId: "x" }),
    ).toBe("match");
    expect(compareBinding(modes({ ip: "off" }), recorded, { ...recorded, ip: other.ip })).toBe(
      "match",
    );
    expect(
      compareBinding(modes({ userAgent: "off" }), recorded, { ...recorded, ua: other.ua }),
    ).toBe("match");
  });

  it("treats a soft device id like the other soft fields: absent is no change, another is", () => {
    const soft = modes({ deviceId: "soft" });
    const { deviceId: _d, ...withoutDevice } = recorded;
    expect(compareBinding(soft, recorded, withoutDevice)).toBe("match");
    expect(compareBinding(soft, recorded, { ...recorded, deviceId: "laptop-9" })).toBe("changed");
  });

  it("lets a custom comparator decide", () => {
    const compare = () => "reject" as const;
    expect(compareBinding(modes({ compare }), recorded, recorded)).toBe("reject");
  });
});

describe("module caches", () => {
  it("stay bounded however many distinct user-agents a server sees", () => {
    for (let i = 0; i < CACHE_SIZE * 3; i++) userAgentFingerprint(`bot-${i}/1.0`);
    expect(cacheSizes()["user-agent fingerprints"]).toBeLessThanOrEqual(CACHE_SIZE);
  });
});
