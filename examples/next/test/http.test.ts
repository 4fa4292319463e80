/**
 * The example app over real HTTP (fetch, no browser): the proxy, the route handlers and the
 * store working together in one `next start` process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NEXT_VERSION, pause, type RunningApp, startApp } from "./server";

const COOKIE = "__Host-session";
let app: RunningApp;
let base: string;

beforeAll(async () => {
  app = await startApp();
  base = `http://127.0.0.1:${app.port}`;
});

afterAll(async () => {
  await app?.stop();
});

/** The session cookie a response sets: its value ("" when cleared), or undefined. */
function sessionCookie(response: Response): string | undefined {
  const line = response.headers.getSetCookie().findLast((c) => c.startsWith(`${COOKIE}=`));
  return line === undefined ? undefined : line.slice(COOKIE.length + 1).split(";")[0];
}

async function apiLogin(username = "alice", password = "wonderland") {
  const response = await fetch(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { token: string; sessionId: string; userId: string };
  expect(sessionCookie(response)).toBe(body.token);
  return body;
}

const withCookie = (token: string, extra: Record<string, string> = {}) => ({
  headers: { cookie: `${COOKIE}=${token}`, ...extra },
  redirect: "manual" as const,
});

describe(`next-example over HTTP on Next.js ${NEXT_VERSION}`, () => {
  it("sends a visitor without a session from /devices to /login", async () => {
    const response = await fetch(`${base}/devices`, { redirect: "manual" });
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("/login");
  });

  it("validates in the proxy a session created by a route handler: one store per process", async () => {
    const { token, sessionId } = await apiLogin();
    const page = await fetch(`${base}/devices`, withCookie(token));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Signed in as Alice");
    expect(html).toContain(`data-session-id="${sessionId}"`);
  });

  it("accepts the cookie and the bearer token on a route handler", async () => {
    const { token, sessionId } = await apiLogin();
    const byCookie = await fetch(`${base}/api/me`, withCookie(token));
    // fresh: the proxy saw the same client (IP, browser) as the login did.
    expect(await byCookie.json()).toMatchObject({ userId: "alice", sessionId, fresh: true });
    const byBearer = await fetch(`${base}/api/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await byBearer.json()).toMatchObject({ userId: "alice", sessionId });
    const anonymous = await fetch(`${base}/api/me`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: "unauthenticated" });
  });

  it("rotates the cookie once the interval has passed, and the new cookie works", async () => {
    const { token, sessionId } = await apiLogin();
    await pause(2_200);
    const rotatedResponse = await fetch(`${base}/devices`, withCookie(token));
    expect(rotatedResponse.status).toBe(200);
    const rotated = sessionCookie(rotatedResponse);
    expect(rotated).toMatch(new RegExp(`^${sessionId}\\.`));
    expect(rotated).not.toBe(token);
    const next = await fetch(`${base}/api/me`, withCookie(rotated!));
    expect(next.status).toBe(200);
    // Presenting the new secret confirms the rotation; that write may re-send the same cookie
    // with a longer Max-Age, but never another secret.
    expect([undefined, rotated]).toContain(sessionCookie(next));
  });

  it("hands bearer clients their rotated token in the tessera-token header", async () => {
    const { token, sessionId } = await apiLogin();
    await pause(2_200);
    const response = await fetch(`${base}/api/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const rotated = response.headers.get("tessera-token");
    expect(rotated).toMatch(new RegExp(`^${sessionId}\\.`));
    expect(rotated).not.toBe(token);
    expect(response.headers.getSetCookie()).toEqual([]);
    const next = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${rotated}` } });
    expect(await next.json()).toMatchObject({ sessionId });
  });

  it("refuses a cross-site POST to a route handler with 403 and changes nothing", async () => {
    const { token } = await apiLogin();
    const forged = await fetch(`${base}/api/profile`, {
      method: "POST",
      headers: {
        cookie: `${COOKIE}=${token}`,
        origin: "https://evil.test",
        "content-type": "application/json",
      },
      body: JSON.stringify({ displayName: "pwned" }),
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error: "cross-site-request", reason: "cross-site" });

    const viaFetchMetadata = await fetch(`${base}/api/profile`, {
      method: "POST",
      headers: { cookie: `${COOKIE}=${token}`, "sec-fetch-site": "cross-site" },
      body: "{}",
    });
    expect(viaFetchMetadata.status).toBe(403);

    const sameOrigin = await fetch(`${base}/api/profile`, {
      method: "POST",
      headers: {
        cookie: `${COOKIE}=${token}`,
        origin: base,
        "content-type": "application/json",
      },
      body: JSON.stringify({ displayName: "Alice L." }),
    });
    expect(sameOrigin.status).toBe(200);
    expect(await sameOrigin.json()).toEqual({ ok: true, displayName: "Alice L." });
  });

  it("ignores a session header forged by the client", async () => {
    const { token } = await apiLogin();
    const genuine = await fetch(`${base}/devices`, withCookie(token));
    expect(genuine.status).toBe(200);
    await genuine.arrayBuffer();
    // Whatever a client sends in the forwarded header is replaced by the proxy's own verdict.
    const forgedValue = "v1.eyJzIjp7ImlkIjoiYSJ9LCJ0IjowfQ.AAAA";
    const forged = await fetch(`${base}/devices`, {
      headers: { "x-tessera-session": forgedValue },
      redirect: "manual",
    });
    expect(forged.status).toBe(307);
    expect(forged.headers.get("location")).toBe("/login");
    const api = await fetch(`${base}/api/me`, { headers: { "x-tessera-session": forgedValue } });
    expect(api.status).toBe(401);
  });

  it("never sends the forwarded session header back to the client", async () => {
    const { token } = await apiLogin();
    for (const path of ["/devices", "/api/me"]) {
      const response = await fetch(`${base}${path}`, withCookie(token));
      await response.arrayBuffer();
      const names = [...response.headers.keys()];
      expect(names.filter((name) => name.includes("tessera-session"))).toEqual([]);
      expect(names.filter((name) => name.startsWith("x-middleware"))).toEqual([]);
    }
  });

  it("clears a cookie that names no live session", async () => {
    const { token } = await apiLogin();
    const unknownId = `aaaa${token.slice(4)}`;
    const response = await fetch(`${base}/api/me`, withCookie(unknownId));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "unauthenticated", reason: "not-found" });
    expect(sessionCookie(response)).toBe("");
  });

  it("answers 503, not 401, while the session store is down, and keeps the session", async () => {
    const { token, sessionId } = await apiLogin();
    const outage = (down: boolean) =>
      fetch(`${base}/api/test-only/outage`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ down }),
      });
    expect((await outage(true)).status).toBe(200);
    try {
      const page = await fetch(`${base}/devices`, withCookie(token));
      expect(page.status).toBe(503);
      expect(await page.json()).toEqual({ error: "store-unavailable" });
      expect(sessionCookie(page)).toBeUndefined(); // the cookie is kept, not cleared
      const api = await fetch(`${base}/api/me`, withCookie(token));
      expect(api.status).toBe(503);
    } finally {
      await outage(false);
    }
    const after = await fetch(`${base}/api/me`, withCookie(token));
    expect(await after.json()).toMatchObject({ sessionId });
  });
});
