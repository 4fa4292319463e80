/**
 * Client addresses for binding: an IP's network prefix (/24 IPv4, /64 IPv6 by default), not the
 * exact address, so a carrier-grade NAT or a DHCP renewal does not log anyone out.
 */

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    octets.push(value);
  }
  return octets;
}

function parseIPv6(text: string): number[] | null {
  let address = text;
  const zone = address.indexOf("%");
  if (zone !== -1) address = address.slice(0, zone);
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  if (lastColon !== -1 && address.includes(".", lastColon)) {
    const v4 = parseIPv4(address.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length === 2 ? head.length + rest.length : head.length;
  if (groups > 8 || (halves.length === 1 && groups !== 8)) return null;
  const hextets: number[] = [];
  const push = (part: string) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
    hextets.push(Number.parseInt(part, 16));
    return true;
  };
  for (const part of head) if (!push(part)) return null;
  if (halves.length === 2) for (let i = groups; i < 8; i++) hextets.push(0);
  for (const part of rest) if (!push(part)) return null;
  if (hextets.length !== 8) return null;
  if (tail.length === 2) {
    hextets[6] = tail[0]!;
    hextets[7] = tail[1]!;
  }
  return hextets;
}

/**
 * The network prefix of an IP address as a string (`203.0.113.0/24`, `2001:db8:1:2::/64`), or
 * `undefined` if the text is not an IP address. IPv4-mapped IPv6 addresses count as IPv4.
 */
export function ipPrefix(ip: string | undefined, ipv4Bits = 24, ipv6Bits = 64): string | undefined {
  if (!ip) return undefined;
  const v4 = parseIPv4(ip);
  if (v4) return maskIPv4(v4, ipv4Bits);
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  if (v6.slice(0, 5).every((h) => h === 0) && v6[5] === 0xffff) {
    return maskIPv4([v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255], ipv4Bits);
  }
  const masked = v6.map((hextet, index) => {
    const keep = Math.max(0, Math.min(16, ipv6Bits - index * 16));
    return keep === 0 ? 0 : hextet & ((0xffff << (16 - keep)) & 0xffff);
  });
  const used = Math.ceil(ipv6Bits / 16);
  const shown = masked.slice(0, used).map((h) => h.toString(16));
  return `${shown.join(":")}${used < 8 ? "::" : ""}/${ipv6Bits}`;
}

function maskIPv4(octets: number[], bits: number): string {
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const network = (value & mask) >>> 0;
  return `${network >>> 24}.${(network >>> 16) & 255}.${(network >>> 8) & 255}.${network & 255}/${bits}`;
}
