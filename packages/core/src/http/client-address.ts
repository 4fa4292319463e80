/**
 * The client address a session is bound to. By default it is the socket's peer: proxy headers
 * are written by whoever sends the request, so reading them without a proxy in front lets a
 * thief claim the victim's address. Only when the application says how many proxies it runs in
 * front of the server (`trustedProxies`) are `X-Forwarded-For` entries read, and then only the
 * entry the nearest trusted proxy vouches for.
 */

/** Longest `X-Forwarded-For` header read; a longer one is ignored as junk. */
const MAX_FORWARDED_FOR = 2048;

/** `::ffff:203.0.113.9` (an IPv4 client on a dual-stack socket) is `203.0.113.9`. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/**
 * The client's address: with `trustedProxies` = 0, `socketAddress`; with N > 0, the N-th entry
 * from the right of `X-Forwarded-For` (each trusted proxy appends the address it saw), or the
 * left-most entry when there are fewer. `undefined` when unknown.
 */
export function clientAddress(
  socketAddress: string | null | undefined,
  forwardedFor: string | null | undefined,
  trustedProxies: number,
): string | undefined {
  if (trustedProxies > 0 && forwardedFor && forwardedFor.length <= MAX_FORWARDED_FOR) {
    const hops = forwardedFor.split(",");
    const entry = hops[Math.max(0, hops.length - trustedProxies)]!.trim();
    if (entry) return unmapped(entry);
  }
  return socketAddress ? unmapped(socketAddress) : undefined;
}

/** The first value of a comma-separated proxy header (`X-Forwarded-Host`, `-Proto`). */
export function firstForwarded(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const comma = value.indexOf(",");
  const first = (comma === -1 ? value : value.slice(0, comma)).trim();
  return first || undefined;
}
