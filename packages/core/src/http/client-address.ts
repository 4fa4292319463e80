/**
 * The client address a session is bound to. By default it is the socket's peer: proxy headers
 * are written by whoever sends the request, so reading them without a proxy in front lets a
 * thief claim the victim's address. Only when the application says how many proxies it runs in
 * front of the server (`trustedProxies`) are `X-Forwarded-For` or `Forwarded` (RFC 7239) entries
 * read, and then only the entry the farthest trusted proxy vouches for.
 *
 * Every entry is parsed, not taken verbatim: a port is stripped (`203.0.113.9:5678`,
 * `[2001:db8::1]:443`), brackets and quotes removed, an IPv4-mapped IPv6 address unmapped, and the
 * address written in one canonical form (RFC 5952 for IPv6), so one client is one address however
 * a proxy spells it. Anything else (`unknown`, an obfuscated `_hidden` name, a zone id, garbage)
 * is not an address: the client is then unknown, never the proxy's own address.
 */

/** Longest entry read as an address (`[` 45-character IPv6 `]:65535` is 53). */
const MAX_ENTRY = 64;

const COMMA = 44;
const SEMICOLON = 59;
const QUOTE = 34;
const BACKSLASH = 92;

/** `a.b.c.d` in strict dotted decimal (no leading zeros, which some parsers read as octal). */
function ipv4Octets(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    octets.push(value);
  }
  return octets;
}

/** The eight 16-bit groups of an IPv6 address (`::` and a trailing dotted IPv4 allowed, no zone). */
function ipv6Groups(text: string): number[] | undefined {
  let address = text;
  let tail: number[] | undefined;
  const dot = address.indexOf(".");
  if (dot !== -1) {
    const lastColon = address.lastIndexOf(":");
    if (lastColon === -1 || dot < lastColon) return undefined;
    const v4 = ipv4Octets(address.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const count = head.length + rest.length;
  // `::` stands for at least one group of zeros.
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const groups: number[] = [];
  for (const part of head) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  for (let i = count; i < 8; i++) groups.push(0);
  for (const part of rest) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  if (tail) {
    groups[6] = tail[0]!;
    groups[7] = tail[1]!;
  }
  return groups;
}

/** RFC 5952: lower case, no leading zeros, the longest run (2+) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) continue;
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(":");
  const before = hex.slice(0, bestStart).join(":");
  const after = hex.slice(bestStart + bestLength).join(":");
  return `${before}::${after}`;
}

/**
 * An IP address in canonical form, or `undefined` if `text` is not exactly one: IPv4 in strict
 * dotted decimal, IPv6 as RFC 4291 writes it (hex groups, one `::`, an optional trailing dotted
 * IPv4), no brackets, port, zone id or surrounding space. IPv6 comes back as RFC 5952 writes it;
 * an IPv4-mapped address (`::ffff:203.0.113.9`) comes back as its IPv4 address.
 *
 * @example
 * parseAddress("2001:DB8:0:0::1"); // "2001:db8::1"
 * parseAddress("::ffff:203.0.113.9"); // "203.0.113.9"
 * parseAddress("unknown"); // undefined
 */
export function parseAddress(text: string): string | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  if (!text.includes(":")) {
    const octets = ipv4Octets(text);
    return octets ? octets.join(".") : undefined;
  }
  const groups = ipv6Groups(text);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return formatIpv6(groups);
}

/** A port (`443`) or an RFC 7239 obfuscated port (`_abc`). */
function isPort(text: string): boolean {
  if (/^\d{1,5}$/.test(text)) return Number(text) <= 65535;
  return /^_[A-Za-z0-9._-]+$/.test(text);
}

/**
 * The address in one proxy-header entry (an `X-Forwarded-For` item or a `Forwarded` `for=`
 * value, quotes already removed): an address, `a.b.c.d:port`, `[v6]` or `[v6]:port`.
 * `undefined` for anything else.
 */
export function entryAddress(entry: string): string | undefined {
  const text = entry.trim();
  if (text.length === 0 || text.length > MAX_ENTRY) return undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return undefined;
    const after = text.slice(close + 1);
    if (after !== "" && !(after.startsWith(":") && isPort(after.slice(1)))) return undefined;
    const inside = text.slice(1, close);
    return inside.includes(":") ? parseAddress(inside) : undefined;
  }
  const colon = text.indexOf(":");
  if (colon !== -1 && colon === text.lastIndexOf(":")) {
    // One colon: IPv4 with a port (a bare IPv6 address has at least two).
    if (!isPort(text.slice(colon + 1))) return undefined;
    const host = text.slice(0, colon);
    return host.includes(":") ? undefined : parseAddress(host);
  }
  return parseAddress(text);
}

/**
 * The raw N-th non-empty entry from the right of a comma-separated list, or the left-most one
 * when there are fewer. Reads from the right, so only the last N entries of a long header cost
 * anything.
 */
function nthFromRight(header: string, n: number): string | undefined {
  let end = header.length;
  let leftmost: string | undefined;
  let seen = 0;
  for (;;) {
    const comma = end === 0 ? -1 : header.lastIndexOf(",", end - 1);
    const entry = header.slice(comma + 1, end);
    if (entry.trim() !== "") {
      leftmost = entry;
      seen++;
      if (seen === n) return entry;
    }
    if (comma === -1) return leftmost;
    end = comma;
  }
}

/** `"[2001:db8::1]:443"` → `[2001:db8::1]:443` (RFC 7230 quoted-string, quoted pairs undone). */
function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, "$1");
}

/**
 * The `for=` value of each element of an RFC 7239 `Forwarded` header, left to right: one entry
 * per element (empty elements skipped), `undefined` where an element has no `for=` or more than
 * one. Parameter names are case-insensitive; commas and semicolons inside quotes do not split.
 */
export function forwardedForValues(header: string): Array<string | undefined> {
  const fors: Array<string | undefined> = [];
  let value: string | undefined;
  let count = 0;
  let empty = true;
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= header.length; i++) {
    const end = i === header.length;
    const code = end ? COMMA : header.charCodeAt(i);
    if (quoted && !end) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) quoted = false;
      continue;
    }
    if (code === QUOTE) {
      quoted = true;
      continue;
    }
    if (code !== COMMA && code !== SEMICOLON) continue;
    const pair = header.slice(start, i);
    start = i + 1;
    if (pair.trim() !== "") empty = false;
    const equals = pair.indexOf("=");
    if (equals !== -1 && pair.slice(0, equals).trim().toLowerCase() === "for") {
      count++;
      value = unquote(pair.slice(equals + 1).trim());
    }
    if (code === COMMA) {
      if (!empty) fors.push(count === 1 ? value : undefined);
      value = undefined;
      count = 0;
      empty = true;
    }
  }
  return fors;
}

/**
 * The client's address. With `trustedProxies` = 0, the socket's (`socketAddress`). With N > 0,
 * the N-th entry from the right of the proxy header (each trusted proxy appends the address it
 * saw), or the left-most entry when there are fewer:
 *
 * - `X-Forwarded-For` (`forwardedForHeader`) when the request has one, else RFC 7239 `Forwarded`
 *   (`forwardedHeader`, its `for=` parameters). `X-Forwarded-For` wins when both are present, as
 *   most proxies write only it and pass a client's `Forwarded` through untouched: reading
 *   `Forwarded` first would hand the address to the client. Behind proxies that write only
 *   `Forwarded`, have the first one drop `X-Forwarded-For`.
 * - The chosen entry is parsed (see {@link entryAddress}); if it is not an address, the client is
 *   unknown (`undefined`), never the proxy that connected.
 * - Neither header present (a request that did not come through the proxies): the socket's.
 *
 * The result is canonical (see {@link parseAddress}); a socket address that does not parse (a
 * zone id) is kept as it is, an IPv4-mapped one unmapped. `undefined` when unknown.
 *
 * @example
 * clientAddress("10.0.0.1", "198.51.100.7, 203.0.113.9:5678", 1); // "203.0.113.9"
 * clientAddress("10.0.0.1", null, 1, 'for="[2001:db8::1]:443"'); // "2001:db8::1"
 * clientAddress("10.0.0.1", "unknown", 1); // undefined
 */
export function clientAddress(
  socketAddress: string | null | undefined,
  forwardedForHeader: string | null | undefined,
  trustedProxies: number,
  forwardedHeader?: string | null,
): string | undefined {
  if (trustedProxies > 0) {
    if (forwardedForHeader) {
      const entry = nthFromRight(forwardedForHeader, trustedProxies);
      return entry === undefined ? undefined : entryAddress(entry);
    }
    if (forwardedHeader) {
      const fors = forwardedForValues(forwardedHeader);
      const entry = fors[Math.max(0, fors.length - trustedProxies)];
      return entry === undefined ? undefined : entryAddress(entry);
    }
  }
  if (!socketAddress) return undefined;
  // The runtime writes the socket's address itself, already in one form per client: only an
  // IPv4 client on a dual-stack socket (`::ffff:203.0.113.9`) needs unmapping. Not parsed on
  // every request (the hot path): parsing is for what proxies write.
  return socketAddress.startsWith("::ffff:") && socketAddress.includes(".")
    ? socketAddress.slice(7)
    : socketAddress;
}

/** The first value of a comma-separated proxy header (`X-Forwarded-Host`, `-Proto`). */
export function firstForwarded(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const comma = value.indexOf(",");
  const first = (comma === -1 ? value : value.slice(0, comma)).trim();
  return first || undefined;
}
