/**
 * One autocannon run against one server: 64 keep-alive connections on loopback, no
 * pipelining, `GET /me` with the credential. Only 2xx answers count as throughput.
 */
import autocannon from "autocannon";

/** What one run measured. */
export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  ok: number;
  non2xx: number;
  /** The non-2xx answers by status code (e.g. `{ "401": 3 }`). */
  non2xxStatuses: Record<string, number>;
  errors: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  seconds: number;
}

/** Settings of one run. */
export interface LoadOptions {
  connections: number;
  seconds: number;
  /** Stop after this many requests instead of after `seconds` (allocation runs). */
  amount?: number;
  /** The User-Agent every request carries, or `null` to send none (autocannon adds none itself). */
  userAgent: string | null;
  /**
   * `name=value` cookie pairs: one for all connections, or one per connection. With
   * `followCookies` the array is updated in place with the cookies the server sent (a single
   * pair is then one cookie jar that every connection reads and updates).
   */
  cookies: string[];
  /**
   * Each connection keeps its own cookie and replaces it with the `Set-Cookie` it receives
   * (for servers that rotate on every request). Costs the client a request rebuild per request.
   */
  followCookies: boolean;
}

interface Jar {
  slot: number | null;
}

/** Runs autocannon once and summarises it. */
export async function runLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  const headers: Record<string, string> = {};
  if (options.userAgent !== null) headers["user-agent"] = options.userAgent;
  const first = options.cookies[0];
  if (first && !options.followCookies) headers.cookie = first;
  const cookies = options.cookies;
  let claimed = 0;
  const requests = options.followCookies
    ? [
        {
          method: "GET" as const,
          path: "/me",
          // Cloned per connection by autocannon: each connection claims a slot of `cookies`
          // and keeps it current, so the next run starts from the latest cookie.
          jar: { slot: null } as Jar,
          setupRequest(request: { headers?: Record<string, string>; jar?: Jar }) {
            const jar = request.jar as Jar;
            jar.slot ??= claimed++ % cookies.length;
            request.headers = { ...request.headers, cookie: cookies[jar.slot] ?? "" };
            return request;
          },
          onResponse(
            this: { jar: Jar },
            _status: number,
            _body: string,
            _context: unknown,
            received: Record<string, string | string[]>,
          ) {
            const value = setCookieOf(received);
            if (value && this.jar.slot !== null) cookies[this.jar.slot] = value;
          },
        },
      ]
    : undefined;
  const result = await autocannon({
    url: `${url}/me`,
    connections: options.connections,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    headers,
    ...(requests ? { requests: requests as unknown as autocannon.Request[] } : {}),
  });
  const ok = result["2xx"];
  const non2xxStatuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if (!code.startsWith("2")) non2xxStatuses[code] = (stats as { count: number }).count;
  }
  return {
    rps: ok / result.duration,
    ok,
    non2xx: result.non2xx,
    non2xxStatuses,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds: result.duration,
  };
}

function setCookieOf(headers: Record<string, string | string[]>): string | null {
  const header = headers["Set-Cookie"] ?? headers["set-cookie"];
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.slice(0, value.indexOf(";") === -1 ? undefined : value.indexOf(";")) : null;
}

/**
 * After a run of a rotating server: the run was cut with requests in flight, so a connection
 * may hold a secret the server already rotated away. One request per cookie, right away (inside
 * the grace window), brings every cookie up to date before the pause until the next round.
 */
export async function resyncCookies(url: string, cookies: string[], userAgent: string | null) {
  for (let slot = 0; slot < cookies.length; slot++) {
    const headers: Record<string, string> = { cookie: cookies[slot]! };
    if (userAgent !== null) headers["user-agent"] = userAgent;
    const response = await fetch(`${url}/me`, { headers });
    await response.arrayBuffer();
    const header = response.headers.getSetCookie()[0];
    if (header) cookies[slot] = setCookieOf({ "set-cookie": header })!;
  }
}
