/**
 * Binding policy (rule "binding"): how a session's recorded client is compared with the client of a
 * request, per field (IP prefix, user-agent fingerprint, device id): off, soft or strict.
 */
import { ipPrefix } from "./ip.js";
import type { StoredClient } from "./store/record.js";
import { readFingerprint, userAgentFingerprint } from "./user-agent.js";

export { ipPrefix } from "./ip.js";

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
const MAX_DEVICE_ID_LENGTH = 128;

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
 * Rule "binding compares fields present in both": compares the recorded client with the current
 * one, field by field. A field the request lacks (no `User-Agent`, an unknown address) is not a
 * change: a soft binding lets it pass without a write (the recorded value stays, so omitting a
 * header never switches a binding off), while a strict binding refuses it (fail closed: a strict
 * field cannot be dodged by leaving it out). A field recorded at login as absent is never
 * compared.
 */
export function compareBinding(
  binding: ResolvedBinding,
  recorded: StoredClient,
  current: StoredClient,
): BindingVerdict {
  if (binding.compare) return binding.compare(recorded, current);
  let verdict: BindingVerdict = "match";
  if (binding.deviceId !== "off" && recorded.deviceId !== undefined) {
    if (recorded.deviceId !== current.deviceId) {
      verdict = noted(verdict, binding.deviceId, current.deviceId === undefined);
    }
  }
  if (binding.userAgent !== "off" && recorded.ua !== undefined) {
    if (!userAgentMatches(recorded.ua, current.ua))
      verdict = noted(verdict, binding.userAgent, current.ua === undefined);
  }
  if (binding.ip !== "off" && recorded.ip !== undefined && recorded.ip !== current.ip) {
    const was = ipPrefix(recorded.ip, binding.ipv4Prefix, binding.ipv6Prefix) ?? recorded.ip;
    const now = current.ip
      ? (ipPrefix(current.ip, binding.ipv4Prefix, binding.ipv6Prefix) ?? current.ip)
      : undefined;
    if (was !== now) verdict = noted(verdict, binding.ip, current.ip === undefined);
  }
  return verdict;
}

/** The verdict after a field that differs (`missing`: the request lacks it) under `mode`. */
function noted(verdict: BindingVerdict, mode: BindingMode, missing: boolean): BindingVerdict {
  if (mode === "strict") return "reject";
  if (mode === "soft" && verdict === "match" && !missing) return "changed";
  return verdict;
}
