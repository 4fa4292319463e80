/**
 * @tessera/astro on a production build: `astro build` with @astrojs/node in standalone mode,
 * served by `node dist/server/entry.mjs` (test/global-setup.ts). The scenarios every
 * integration passes and the DBSC scenarios run against the reference app in test/app,
 * reconfigured per scenario through its test-only levers; the rest of the file is what is
 * Astro's own (pages, its CSRF check, its client address).
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

describe("Astro on @astrojs/node standalone (node dist/server/entry.mjs)", () => {
  for (const scenario of [...sessionScenarios, ...storeOutageScenarios, ...policyScenarios]) {
    it(scenario.name, () => scenario.run(start));
  }
});

describe("DBSC on Astro", () => {
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

describe("Astro pages", () => {
  it("guards a page from its frontmatter: a redirect of its own, or the page", async () => {
    const app = await start();
    const client = app.client();
    const away = await fetch(`${url}/account`, { redirect: "manual" });
    expect(away.status).toBe(302);
    expect(away.headers.get("location")).toBe("/login-page");
    const alice = uniqueUser("alice");
    await client.post("/login", { json: { user: alice } });
    const page = await client.get("/account", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`account of ${alice}`);
  });

  it("answers a page's requireFresh refusal with the gate's own answer", async () => {
    const app = await start();
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const done = await form(client, "/account", { amount: "5" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("transferred 5");
    await app.advanceClock(FRESH_FOR + 1);
    const stale = await form(client, "/account", { amount: "5" });
    expect(stale.status).toBe(403);
    expect(stale.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await stale.json()).toEqual({ error: "not-fresh" });
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

  it("never binds to the X-Forwarded-For address Astro puts in clientAddress", async () => {
    const app = await start({ sessions: { binding: { ip: "strict" } } });
    const spoofer = app.client();
    const spoofed = { "x-forwarded-for": "203.0.113.9" };
    await spoofer.post("/login", { json: { user: uniqueUser("alice") }, headers: spoofed });
    const seen = await spoofer.get("/address", { headers: spoofed });
    expect(seen.body).toEqual({ astro: "203.0.113.9", session: null });

    const direct = app.client();
    await direct.post("/login", { json: { user: uniqueUser("bob") } });
    expect((await direct.get("/address")).body).toEqual({
      astro: "127.0.0.1",
      session: "127.0.0.1",
    });
    // A strict binding refuses the bound session when a header hides the socket's address.
    expect((await direct.get("/me", { headers: spoofed })).body).toEqual({
      error: "unauthenticated",
      reason: "binding-mismatch",
    });
  });

  it("refuses a cross-site form post with the gate's answer (Astro's checkOrigin off)", async () => {
    const app = await start();
    const client = app.client();
    await client.post("/login", { json: { user: uniqueUser("alice") } });
    const crossForm = await form(
      client,
      "/account",
      { amount: "5" },
      {
        origin: "https://evil.test",
        "sec-fetch-site": "cross-site",
      },
    );
    expect(crossForm.status).toBe(403);
    expect(crossForm.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await crossForm.json()).toEqual({ error: "cross-site-request", reason: "cross-site" });
  });
});
