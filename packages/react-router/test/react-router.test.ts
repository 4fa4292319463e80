/**
 * @tessera/react-router on a production build: `react-router build`, served by
 * `react-router-serve` (test/global-setup.ts). The scenarios every integration passes and the
 * DBSC scenarios run against the reference app in test/app, reconfigured per scenario through
 * its test-only levers; the rest of the file is what is React Router's own (pages with their
 * ErrorBoundary, actions, its server's client address).
 */
import {
  type Client,
  dbscScenarios,
  FRESH_FOR,
  hostedDbscApp,
  hostedReferenceApp,
  policyScenarios,
  ROTATION_INTERVAL,
  sessionScenarios,
  storeOutageScenarios,
  uniqueUser,
} from "@tessera/test-kit";
import { describe, expect, inject, it } from "vitest";

const url = inject("appUrl");
const start = hostedReferenceApp(url);

describe("React Router 7 on react-router-serve", () => {
  for (const scenario of [...sessionScenarios, ...storeOutageScenarios, ...policyScenarios]) {
    it(scenario.name, () => scenario.run(start));
  }
});

describe("DBSC on React Router", () => {
  for (const scenario of dbscScenarios) it(scenario.name, () => scenario.run(hostedDbscApp(url)));
});

/** A same-origin HTML form post, as a browser sends it. */
function form(client: Client, path: string, fields: Record<string, string>, headers = {}) {
  return fetch(client.base + path, {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: [...client.jar].map(([name, value]) => `${name}=${value}`).join("; "),
      origin: new URL(client.base).origin,
      "sec-fetch-site": "same-origin",
      "content-type": "application/x-www-form-urlencoded",
      accept: "text/html",
      ...headers,
    },
    body: new URLSearchParams(fields),
  });
}

describe("React Router pages", () => {
  it("guards a page loader: the thrown 401 renders the ErrorBoundary, a session the page", async () => {
    const app = await start();
    const client = app.client();
    const refused = await client.get("/account", { headers: { accept: "text/html" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toMatch(/^text\/html/);
    expect(refused.body).toContain("401");
    const alice = uniqueUser("alice");
    await client.post("/login", { json: { user: alice } });
    const page = await client.get("/account", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`account of <!-- -->${alice}`);
  });

  it("guards a page action with requireFresh: 403 once the login is older than freshFor", async () => {
    const app = await start();
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const done = await form(client, "/account", { amount: "5" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("transferred <!-- -->5");
    await app.advanceClock(FRESH_FOR + 1);
    const stale = await form(client, "/account", { amount: "5" });
    expect(stale.status).toBe(403);
  });

  it("writes the rotated cookie onto a Response.redirect, whose headers are immutable", async () => {
    const app = await start();
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const before = client.jar.get("session");
    await app.advanceClock(ROTATION_INTERVAL + 1);
    const response = await fetch(`${url}/go`, {
      redirect: "manual",
      headers: { cookie: `session=${before}` },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toMatch(/\/public$/);
    const rotated = response.headers.getSetCookie().find((line) => line.startsWith("session="));
    expect(rotated).toMatch(
      /^session=[a-z2-7.]{57}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(rotated).not.toContain(before);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("keeps a cookie without maxAge a browser-session cookie, with every attribute as configured", async () => {
    const app = await start({
      sessions: { cookie: { persistent: false, sameSite: "strict", domain: "127.0.0.1" } },
    });
    const login = await app.client().post("/login", { json: { user: uniqueUser("alice") } });
    expect(login.cookie("session")).toMatch(
      /^session=[a-z2-7.]{57}; Path=\/; Domain=127\.0\.0\.1; HttpOnly; SameSite=Strict$/,
    );
  });

  it("binds no address on react-router-serve, which exposes none, and never a header's", async () => {
    const app = await start({ sessions: { binding: { ip: "strict" } } });
    const client = app.client();
    const spoofed = { "x-forwarded-for": "203.0.113.9" };
    await client.post("/login", { json: { user: uniqueUser("alice") }, headers: spoofed });
    const me = await client.get("/me", { headers: spoofed });
    expect(me.body.ip).toBeNull();
    expect(
      (await client.get("/me", { headers: { "x-forwarded-for": "198.51.100.1" } })).status,
    ).toBe(200);
  });
});
