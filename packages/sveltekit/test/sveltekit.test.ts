/**
 * @tessera/sveltekit on a production build: `vite build` with adapter-node, served by
 * `node build/index.js` (test/global-setup.ts). The scenarios every integration passes and the
 * DBSC scenarios run against the reference app in test/app, reconfigured per scenario through
 * its test-only levers; the rest of the file is what is SvelteKit's own (pages, form actions,
 * its CSRF check, its adapter's address).
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

describe("SvelteKit on adapter-node (node build/index.js)", () => {
  for (const scenario of [...sessionScenarios, ...storeOutageScenarios, ...policyScenarios]) {
    it(scenario.name, () => scenario.run(start));
  }
});

describe("DBSC on SvelteKit", () => {
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

describe("SvelteKit pages and form actions", () => {
  it("guards a page load: 401 renders +error.svelte, a session renders the page", async () => {
    const app = await start();
    const client = app.client();
    const refused = await client.get("/account", { headers: { accept: "text/html" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toMatch(/^text\/html/);
    expect(refused.body).toContain('<h1 id="error">401 unauthenticated</h1>');
    const alice = uniqueUser("alice");
    await client.post("/login", { json: { user: alice } });
    const page = await client.get("/account", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`account of ${alice}`);
  });

  it("guards a form action with requireFresh, for a plain form and for use:enhance", async () => {
    const app = await start();
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const done = await form(client, "/account?/transfer", { amount: "5" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("transferred 5");

    await app.advanceClock(FRESH_FOR + 1);
    const stale = await form(client, "/account?/transfer", { amount: "5" });
    expect(stale.status).toBe(403);
    expect(await stale.text()).toContain('<h1 id="error">403 not-fresh</h1>');
    // use:enhance reads SvelteKit's own action JSON: the guard's error reaches it as is.
    const enhanced = await form(
      client,
      "/account?/transfer",
      { amount: "5" },
      { accept: "application/json", "x-sveltekit-action": "true" },
    );
    expect(enhanced.status).toBe(403);
    expect(await enhanced.json()).toEqual({
      type: "error",
      error: { message: "not-fresh", error: "not-fresh" },
    });
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
    expect(response.headers.get("location")).toBe(`${url}/public`);
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

  it("binds to the socket's address, not the one adapter-node's ADDRESS_HEADER believes", async () => {
    const app = await start();
    const client = app.client();
    const spoofed = { "x-forwarded-for": "203.0.113.9" };
    await client.post("/login", { json: { user: uniqueUser("alice") }, headers: spoofed });
    const address = await client.get("/address", { headers: spoofed });
    expect(address.body.adapter).toBe("203.0.113.9");
    expect(address.body.session).toBe("127.0.0.1");
  });

  it("lets SvelteKit's own checkOrigin refuse a cross-site form first; the gate refuses the rest", async () => {
    const app = await start();
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const crossForm = await form(
      client,
      "/account?/transfer",
      { amount: "5" },
      {
        origin: "https://evil.test",
        "sec-fetch-site": "cross-site",
      },
    );
    expect(crossForm.status).toBe(403);
    expect(await crossForm.text()).toBe("Cross-site POST form submissions are forbidden");
    const crossJson = await client.post("/transfer", {
      headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" },
      json: {},
    });
    expect(crossJson.status).toBe(403);
    expect(crossJson.body).toEqual({ error: "cross-site-request", reason: "cross-site" });
  });
});
