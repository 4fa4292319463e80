/**
 * Tolerant binding of a session to its client: IP prefix (not the exact address, so a
 * carrier-grade NAT or DHCP renewal does not log anyone out), a user-agent fingerprint that
 * survives browser updates, and an optional application device id.
 */
import type { StoredClient } from "./store.js";

/** How a binding field reacts to a change: ignore it, note it, or refuse the request. */
export type BindingMode = "off" | "soft" | "strict";

/** Verdict of a binding comparison. */
export type BindingVerdict = "match" | "changed" | "reject";

/**
 * A custom comparison. Receives what the session recorded and what the request presents
 * (both as stored: full IP, `family/major/os` fingerprint, device id).
 */
export type BindingComparator = (recorded: StoredClient, current: StoredClient) => BindingVerdict;

/** Binding settings of `createSessions`. */
export interface BindingOptions {
  /**
   * Client IP prefix.
   * @defaultValue `"soft"`
   */
  ip?: BindingMode;
  /**
   * User-agent fingerprint (family + OS; a newer major version is accepted).
   * @defaultValue `"soft"`
   */
  userAgent?: BindingMode;
  /**
   * Application device id, when one was recorded.
   * @defaultValue `"strict"`
   */
  deviceId?: BindingMode;
  /** IPv4 prefix length compared. Default 24. */
  ipv4Prefix?: number;
  /** IPv6 prefix length compared. Default 64. */
  ipv6Prefix?: number;
  /** Replaces the built-in comparison entirely. */
  compare?: BindingComparator;
}

/** The client as an integration reports it. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
  deviceId?: string;
}

const MAX_IP_LENGTH = 64;
const MAX_USER_AGENT_LENGTH = 1024;
const MAX_DEVICE_ID_LENGTH = 128;

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

/** A parsed user-agent fingerprint. */
export interface UserAgentFingerprint {
  /** Browser or client family, lowercase: `chrome`, `firefox`, `safari`, `edge`, `curl`, ... */
  family: string;
  /** Major version, 0 when unknown. */
  major: number;
  /** Operating system, lowercase: `windows`, `macos`, `ios`, `android`, `linux`, `chromeos`, `other`. */
  os: string;
}

const FAMILY_RULES: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, "edge"],
  [/\bOPR\/(\d+)/, "opera"],
  [/\bSamsungBrowser\/(\d+)/, "samsung"],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, "firefox"],
  [/\bCriOS\/(\d+)/, "chrome"],
  // Automation (Puppeteer, Playwright) is its own family: a cookie moved from a person's Chrome
  // into a headless browser counts as a change of client.
  [/\bHeadlessChrome\/(\d+)/, "headless-chrome"],
  [/\bChromium\/(\d+)/, "chromium"],
  [/\bChrome\/(\d+)/, "chrome"],
  [/\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, "safari"],
];

const OS_RULES: Array<[RegExp, string]> = [
  [/\b(?:iPhone|iPad|iPod)\b/, "ios"],
  [/\bAndroid\b/, "android"],
  [/\bWindows\b/, "windows"],
  [/\bCrOS\b/, "chromeos"],
  [/\bMac OS X\b|\bMacintosh\b/, "macos"],
  [/\bLinux\b/, "linux"],
];

const fingerprintCache = new Map<string, string>();
const FINGERPRINT_CACHE_SIZE = 512;

/** Parses a User-Agent header into family, major version and OS. */
export function parseUserAgent(userAgent: string): UserAgentFingerprint {
  let family = "";
  let major = 0;
  for (const [pattern, name] of FAMILY_RULES) {
    const match = pattern.exec(userAgent);
    if (match) {
      family = name;
      major = Number(match[1]);
      break;
    }
  }
  if (!family) {
    const product = /^([A-Za-z][\w.-]{0,31})(?:\/(\d+))?/.exec(userAgent);
    family = product ? product[1]!.toLowerCase() : "unknown";
    major = product?.[2] ? Number(product[2]) : 0;
  }
  let os = "other";
  for (const [pattern, name] of OS_RULES) {
    if (pattern.test(userAgent)) {
      os = name;
      break;
    }
  }
  if (!Number.isSafeInteger(major)) major = 0;
  return { family, major, os };
}

/**
 * The stored form of a user-agent: `family/major/os`. Memoised, since a server sees the same
 * few hundred user-agent strings over and over on the hot path.
 */
export function userAgentFingerprint(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  const cached = fingerprintCache.get(userAgent);
  if (cached !== undefined) return cached;
  const { family, major, os } = parseUserAgent(userAgent.slice(0, MAX_USER_AGENT_LENGTH));
  const fingerprint = `${family}/${major}/${os}`;
  if (fingerprintCache.size >= FINGERPRINT_CACHE_SIZE) fingerprintCache.clear();
  fingerprintCache.set(userAgent, fingerprint);
  return fingerprint;
}

/** Splits a stored fingerprint back into its parts (`undefined` if it is not one). */
export function readFingerprint(fingerprint: string | undefined): UserAgentFingerprint | undefined {
  if (!fingerprint) return undefined;
  const [family, major, os] = fingerprint.split("/");
  if (!family || major === undefined || !os) return undefined;
  return { family, major: Number(major) || 0, os };
}

/** Turns what an integration reports into the stored, bounded form. */
export function toStoredClient(client: ClientInfo | undefined): StoredClient {
  const stored: StoredClient = {};
  if (!client || typeof client !== "object") return stored;
  if (typeof client.ip === "string" && client.ip) stored.ip = client.ip.slice(0, MAX_IP_LENGTH);
  if (typeof client.userAgent === "string" && client.userAgent) {
    stored.ua = userAgentFingerprint(client.userAgent);
  }
  if (typeof client.deviceId === "string" && client.deviceId) {
    stored.deviceId = client.deviceId.slice(0, MAX_DEVICE_ID_LENGTH);
  }
  return stored;
}

/** Binding settings with defaults applied. */
export interface ResolvedBinding {
  ip: BindingMode;
  userAgent: BindingMode;
  deviceId: BindingMode;
  ipv4Prefix: number;
  ipv6Prefix: number;
  compare: BindingComparator | undefined;
}

function userAgentMatches(recorded: string, current: string | undefined): boolean {
  if (recorded === current) return true;
  const was = readFingerprint(recorded);
  const now = readFingerprint(current);
  if (!was || !now) return false;
  // A browser update raises the major version; a downgrade or another browser does not match.
  return was.family === now.family && was.os === now.os && now.major >= was.major;
}

/**
 * Compares the recorded client with the current one. A field recorded at login but missing
 * now counts as changed: omitting a header must not be a way around the binding.
 */
export function compareBinding(
  binding: ResolvedBinding,
  recorded: StoredClient,
  current: StoredClient,
): BindingVerdict {
  if (binding.compare) return binding.compare(recorded, current);
  let verdict: BindingVerdict = "match";
  const note = (mode: BindingMode) => {
    if (mode === "strict") verdict = "reject";
    else if (mode === "soft" && verdict === "match") verdict = "changed";
  };
  if (binding.deviceId !== "off" && recorded.deviceId !== undefined) {
    if (recorded.deviceId !== current.deviceId) note(binding.deviceId);
  }
  if (binding.userAgent !== "off" && recorded.ua !== undefined) {
    if (!userAgentMatches(recorded.ua, current.ua)) note(binding.userAgent);
  }
  if (binding.ip !== "off" && recorded.ip !== undefined && recorded.ip !== current.ip) {
    const was = ipPrefix(recorded.ip, binding.ipv4Prefix, binding.ipv6Prefix) ?? recorded.ip;
    const now = current.ip
      ? (ipPrefix(current.ip, binding.ipv4Prefix, binding.ipv6Prefix) ?? current.ip)
      : undefined;
    if (was !== now) note(binding.ip);
  }
  return verdict;
}
