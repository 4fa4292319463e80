/**
 * The client address behind trusted proxies: every `X-Forwarded-For` / `Forwarded` entry parsed
 * into one canonical address, an unparsable chosen entry read as unknown. The address validator is
 * checked against Node's own (`net.isIP`) on generated input, and its canonical form against
 * ipaddr.js; both live in this test only, core stays free of Node built-ins.
 */
import { isIP } from "node:net";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import {
  clientAddress,
  entryAddress,
  forwardedForValues,
  parseAddress,
} from "../src/http/client-address.js";
import { createSessions, MemoryStore } from "../src/index.js";

/** What a well-kept parser says: Node accepts zone ids (`fe80::1%eth0`), a client address has none. */
function nodeAccepts(text: string): boolean {
  return isIP(text) !== 0 && !text.includes("%");
}

/**
 * ipaddr.js's canonical form: dotted IPv4, RFC 5952 IPv6, IPv4-mapped read as IPv4. A dotted
 * tail is handed over as two hex groups: ipaddr.js reads `::a.b.c.d` (IPv4-compatible, RFC 4291
 * 2.5.5.1) as if it were `::ffff:a.b.c.d`.
 */
function ipaddrCanonical(text: string): string {
  if (isIP(text) === 4) return ipaddr.IPv4.parse(text).toString();
  const hexTail = text.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)]
      .map((n) => n.toString(16))
      .join(":"),
  );
  const v6 = ipaddr.IPv6.parse(hexTail);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}

const hexGroup = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const sloppyGroup = fc.oneof(
  hexGroup,
  hexGroup.map((g) => g.toUpperCase()),
  hexGroup.map((g) => g.padStart(4, "0")),
  fc.constantFrom("0", "00000", "g", "", "fffff"),
);
/** IPv6-shaped text: 1 to 9 groups, `::` anywhere (or twice), a dotted tail now and then. */
const v6Shaped = fc
  .tuple(
    fc.array(sloppyGroup, { minLength: 0, maxLength: 9 }),
    fc.integer({ min: -1, max: 9 }),
    fc.integer({ min: -1, max: 9 }),
    fc.option(fc.oneof(fc.ipV4(), fc.ipV4Extended()), { nil: undefined }),
  )
  .map(([groups, gap, secondGap, v4]) => {
    const parts = v4 === undefined ? [...groups] : [...groups, v4];
    let text = parts.join(":");
    for (const at of [gap, secondGap]) {
      if (at < 0) continue;
      const cut = parts.slice(0, at).join(":").length;
      text = `${text.slice(0, cut)}::${text.slice(cut).replace(/^:/, "")}`;
    }
    return text;
  });
/** Mutations of real addresses: one character inserted, removed or replaced. */
const mutated = fc
  .tuple(
    fc.oneof(fc.ipV4(), fc.ipV6()),
    fc.nat(),
    fc.constantFrom(...":.%0fF9 []g-x"),
    fc.constantFrom("insert", "remove", "replace"),
  )
  .map(([address, at, char, how]) => {
    const i = at % (address.length + 1);
    if (how === "insert") return address.slice(0, i) + char + address.slice(i);
    if (how === "remove") return address.slice(0, i) + address.slice(i + 1);
    return address.slice(0, i) + char + address.slice(i + 1);
  });
const anyText = fc.oneof(
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  v6Shaped,
  mutated,
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:.%"), maxLength: 46 }),
  fc.string({ maxLength: 20 }),
);

describe("the address validator agrees with net.isIP and ipaddr.js", () => {
  it("accepts exactly what Node accepts (zone ids aside)", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(parseAddress(text) !== undefined).toBe(nodeAccepts(text));
      }),
      { numRuns: 20_000 },
    );
  }, 60_000); // 20,000 runs: seconds on a busy machine

  it("writes every accepted address the way ipaddr.js does, and reads its own form back", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), v6Shaped, mutated), (text) => {
        const canonical = parseAddress(text);
        if (canonical === undefined) return;
        expect(canonical).toBe(ipaddrCanonical(text));
        expect(parseAddress(canonical)).toBe(canonical);
      }),
      { numRuns: 20_000 },
    );
  }, 60_000); // 20,000 runs: seconds on a busy machine

  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:203.0.113.9", "203.0.113.9"],
    ["::FFFF:cb00:7109", "203.0.113.9"],
    ["::", "::"],
    ["1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
  ])("reads %s as %s", (text, canonical) => {
    expect(parseAddress(text)).toBe(canonical);
  });

  it.each([
    "unknown",
    "_hidden",
    "fe80::1%eth0",
    "01.2.3.4",
    "1.2.3",
    "256.1.1.1",
    "0x7f.0.0.1",
    "1::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7",
    "::1::",
    "[::1]",
    " 192.0.2.1",
    "",
  ])("is not an address: %j", (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe("an entry of a proxy header", () => {
  it.each([
    ["203.0.113.9:5678", "203.0.113.9"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[::ffff:203.0.113.9]:80", "203.0.113.9"],
    ["  2001:db8::1 ", "2001:db8::1"],
    ["203.0.113.9:_obf", "203.0.113.9"],
  ])("reads %s as %s", (entry, address) => {
    expect(entryAddress(entry)).toBe(address);
  });

  it.each([
    "unknown",
    "_hidden",
    "[fe80::1%eth0]:443",
    "fe80::1%25eth0",
    "203.0.113.9:65536",
    "203.0.113.9:",
    "[2001:db8::1]443",
    "[203.0.113.9]",
    "2001:db8::1:443x",
    "host.example:80",
    "a".repeat(100),
  ])("is not an address: %j", (entry) => {
    expect(entryAddress(entry)).toBeUndefined();
  });
});

describe("clientAddress behind trusted proxies (X-Forwarded-For)", () => {
  it("ignores the port a front end writes, so one client is one address", () => {
    expect(clientAddress("10.0.0.1", "203.0.113.9:5678", 1)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "203.0.113.9:6001", 1)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "[2001:DB8::1]:443, 10.0.0.2", 2)).toBe("2001:db8::1");
  });

  it("keeps a strictly IP-bound session alive when only the client's port changes", async () => {
    const sessions = createSessions({
      store: new MemoryStore(),
      binding: { ip: "strict" },
      cookie: { secure: false },
    });
    const first = clientAddress("10.0.0.1", "203.0.113.9:40001", 1);
    const { token } = await sessions.create({ userId: "u", client: { ip: first } });
    const next = clientAddress("10.0.0.1", "203.0.113.9:40002", 1);
    expect(await sessions.validate(token, { ip: next })).toMatchObject({
      ok: true,
      session: { bindingChanged: false },
    });
    const elsewhere = clientAddress("10.0.0.1", "198.51.100.4:40002", 1);
    expect(await sessions.validate(token, { ip: elsewhere })).toMatchObject({ ok: false });
  });

  it("reads an unparsable chosen entry as unknown, never as the proxy's address", () => {
    for (const header of ["unknown", "_hidden", "garbage", "fe80::1%eth0", " , ", "1.2.3.4.5"]) {
      expect(clientAddress("10.0.0.1", header, 1)).toBeUndefined();
    }
    // The entry the trusted proxy vouches for is the bad one; a good one further left is the
    // client's own claim and does not count.
    expect(clientAddress("10.0.0.1", "203.0.113.9, unknown", 1)).toBeUndefined();
  });

  it("skips empty list elements and takes the left-most entry when there are fewer than N", () => {
    expect(clientAddress("10.0.0.1", "203.0.113.9, , 10.0.0.2", 2)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "203.0.113.9", 3)).toBe("203.0.113.9");
  });

  it("reads a header that starts with empty elements, however many proxies are trusted", () => {
    expect(clientAddress("10.0.0.1", ", 203.0.113.9", 3)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", ",,203.0.113.9,", 5)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", ",", 2)).toBeUndefined();
  });

  it("accepts ports up to 65535 and RFC 7239 obfuscated ports, nothing else after the address", () => {
    expect(entryAddress("203.0.113.9:65535")).toBe("203.0.113.9");
    expect(entryAddress("203.0.113.9:65536")).toBeUndefined();
    expect(entryAddress("203.0.113.9:_proxy1")).toBe("203.0.113.9");
    expect(entryAddress("[2001:db8::1]:_a.b-c")).toBe("2001:db8::1");
    for (const entry of [
      "203.0.113.9:x_proxy",
      "203.0.113.9:_",
      "203.0.113.9:443x",
      "[2001:db8::1]:x443",
    ]) {
      expect(entryAddress(entry), entry).toBeUndefined();
    }
  });

  it("reads an over-long header from the right instead of ignoring it", () => {
    const junk = Array.from({ length: 800 }, (_, i) => `198.51.100.${i % 250}`).join(", ");
    expect(junk.length).toBeGreaterThan(10_000);
    expect(clientAddress("10.0.0.1", `${junk}, 203.0.113.9:5678`, 1)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", `${junk}, 203.0.113.9, 10.0.0.2`, 2)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", `${junk}${"x".repeat(5000)}`, 1)).toBeUndefined();
  });

  it("still uses the socket when no proxy header arrived, and the socket only without trust", () => {
    expect(clientAddress("10.0.0.1", null, 1)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "", 1, "")).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "203.0.113.9", 0, "for=203.0.113.9")).toBe("10.0.0.1");
    expect(clientAddress("::ffff:10.0.0.1", null, 0)).toBe("10.0.0.1");
    expect(clientAddress("fe80::1%eth0", null, 0)).toBe("fe80::1%eth0");
  });
});

describe("clientAddress behind trusted proxies (RFC 7239 Forwarded)", () => {
  it("reads the for= parameter of the N-th element from the right", () => {
    const header = 'for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"';
    expect(clientAddress("10.0.0.1", null, 1, header)).toBe("2001:db8:cafe::17");
    expect(clientAddress("10.0.0.1", null, 2, header)).toBe("192.0.2.60");
    expect(clientAddress("10.0.0.1", null, 5, header)).toBe("192.0.2.60");
    expect(clientAddress("10.0.0.1", undefined, 1, 'proto=https;FOR="203.0.113.9:443"')).toBe(
      "203.0.113.9",
    );
  });

  it("splits elements and parameters only outside quotes", () => {
    expect(forwardedForValues('for="[::1]:80";host="a,b;c", for=192.0.2.1, ,by=x')).toEqual([
      "[::1]:80",
      "192.0.2.1",
      undefined,
    ]);
    expect(forwardedForValues('for="a\\"b"')).toEqual(['a"b']);
    // An escaped quote does not close the string: what follows it cannot add an element.
    const smuggled = 'for="x\\",for=192.0.2.66';
    expect(forwardedForValues(smuggled)).toEqual(['"x\\",for=192.0.2.66']);
    expect(clientAddress("10.0.0.1", null, 1, smuggled)).toBeUndefined();
  });

  it("reads a for= parameter by its whole name, around spaces", () => {
    expect(clientAddress("10.0.0.1", null, 1, "fork;for=192.0.2.1")).toBe("192.0.2.1");
    expect(clientAddress("10.0.0.1", null, 1, "xfor=192.0.2.9;for=192.0.2.1")).toBe("192.0.2.1");
    expect(clientAddress("10.0.0.1", null, 1, 'for = "[2001:db8::1]:4711"')).toBe("2001:db8::1");
  });

  it("reads unknown, obfuscated, missing or repeated for= as unknown", () => {
    for (const header of [
      "for=unknown",
      "for=_hidden",
      'for="_gazonk"',
      "proto=https",
      "for=192.0.2.1;for=192.0.2.2",
      'for="[2001:db8::1',
      "for=192.0.2.1, for=unknown",
    ]) {
      expect(clientAddress("10.0.0.1", null, 1, header)).toBeUndefined();
    }
  });

  it("lets X-Forwarded-For win when both arrive (a client's own Forwarded passes most proxies)", () => {
    expect(clientAddress("10.0.0.1", "203.0.113.9", 1, "for=198.51.100.4")).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", null, 1, "for=198.51.100.4")).toBe("198.51.100.4");
  });
});
