/**
 * User-agent fingerprints for binding: browser family, major version and OS, which survive
 * browser updates (a newer major still matches) but not a move to another browser or OS.
 */
import { boundedCache } from "./caches.js";

/** Longest User-Agent header read; the rest is ignored. */
export const MAX_USER_AGENT_LENGTH = 1024;

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

const fingerprintCache = boundedCache<string>("user-agent fingerprints");

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
  return fingerprintCache.get(userAgent, fingerprintOf);
}

function fingerprintOf(userAgent: string): string {
  const { family, major, os } = parseUserAgent(userAgent.slice(0, MAX_USER_AGENT_LENGTH));
  return `${family}/${major}/${os}`;
}

/** Splits a stored fingerprint back into its parts (`undefined` if it is not one). */
export function readFingerprint(fingerprint: string | undefined): UserAgentFingerprint | undefined {
  if (!fingerprint) return undefined;
  const [family, major, os] = fingerprint.split("/");
  if (!family || major === undefined || !os) return undefined;
  return { family, major: Number(major) || 0, os };
}
