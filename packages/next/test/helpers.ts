/** Shared fixtures: a session manager on a controllable clock, and a store that can fail. */
import { createSessions, MemoryStore, type SessionsOptions } from "@tessera/core";
import { countingStore, switchableStore } from "@tessera/store-test";

export const HOST = "app.example.com";
export const ORIGIN = `https://${HOST}`;
export const BROWSER = {
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "x-forwarded-for": "203.0.113.7",
};

/**
 * Sessions rotating every 60 s (grace 10 s) on a clock the test moves, on a MemoryStore that
 * counts its calls (`calls`, `resetCalls`) and can be taken down (`setStore("down")`).
 */
export function setup(overrides: Partial<SessionsOptions> = {}) {
  const clock = { now: Date.now() };
  const lever = switchableStore(new MemoryStore());
  const counted = countingStore(lever.store);
  const sessions = createSessions({
    store: counted.store,
    rotation: { interval: 60, grace: 10 },
    now: () => clock.now,
    ...overrides,
  });
  // Next.js exposes no socket address: without trustedProxies a session records no IP.
  const client = { userAgent: BROWSER["user-agent"] };
  const login = async (userId = "alice") => sessions.create({ userId, client });
  const cookieHeader = (token: string) => `theme=dark; ${sessions.cookie.name}=${token}`;
  return {
    sessions,
    calls: counted.calls,
    resetCalls: counted.reset,
    setStore: lever.set,
    clock,
    login,
    cookieHeader,
  };
}

/**
 * The request headers Next.js hands to the render after a proxy response: what
 * `NextResponse.next({ request: { headers } })` encodes in `x-middleware-*` response headers.
 */
export function forwardedRequestHeaders(response: Response): Headers {
  const names = response.headers.get("x-middleware-override-headers");
  if (names === null) throw new Error("the proxy did not forward request headers");
  const headers = new Headers();
  for (const name of names.split(",")) {
    const value = response.headers.get(`x-middleware-request-${name}`);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/** The session cookie values a response sets, in order ("" for a clearing cookie). */
export function sessionCookies(response: Response, name: string): string[] {
  return response.headers
    .getSetCookie()
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1).split(";")[0] ?? "");
}

/** A browser's same-origin marker for unsafe requests that name no origin of their own. */
export function sameOrigin(init: { method?: string; headers?: Record<string, string> }) {
  const unsafe = !["GET", "HEAD", undefined].includes(init.method);
  const named = init.headers && ("origin" in init.headers || "sec-fetch-site" in init.headers);
  const marker: Record<string, string> =
    unsafe && !named ? { "sec-fetch-site": "same-origin" } : {};
  return marker;
}
