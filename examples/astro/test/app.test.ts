/**
 * examples/astro as its README starts it (`npm start`: `astro build`, then @astrojs/node's
 * standalone `node dist/server/entry.mjs`), walked over HTTP as a browser posts its forms: log in, the device
 * list, revoke one device, step up before a password change, log out everywhere.
 */

import { type RunningServer, scriptPath, startProcess, startScript } from "@tessera/edge-test-kit";
import { freePort } from "@tessera/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = new URL("..", import.meta.url);
let server: RunningServer;

beforeAll(async () => {
  const port = await freePort();
  server = await startProcess({
    command: "sh",
    args: ["-c", startScript(here)],
    cwd: here,
    env: {
      PATH: scriptPath(here),
      PORT: String(port),
      HOST: "127.0.0.1",
      FRESH_FOR: "1",
    },
    ready: /Server listening on (http:\/\/127\.0\.0\.1:\d+)/,
    timeout: 120_000,
  });
});
afterAll(() => server?.stop());

/** A browser with its cookie jar (the session cookie only). */
class Browser {
  cookie = "";

  async request(path: string, init: RequestInit = {}) {
    const response = await fetch(server.url + path, {
      ...init,
      redirect: "manual",
      headers: { accept: "text/html", cookie: this.cookie, ...init.headers },
    });
    const set = response.headers.getSetCookie().find((line) => line.startsWith("session="));
    if (set) this.cookie = /Max-Age=0/.test(set) ? "" : set.split(";")[0]!;
    return {
      status: response.status,
      location: response.headers.get("location"),
      html: await response.text(),
    };
  }

  /** A same-origin form post, as the browser sends it. */
  post(path: string, fields: Record<string, string>) {
    return this.request(path, {
      method: "POST",
      headers: {
        origin: server.url,
        "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async devices() {
    const page = await this.request("/devices");
    return [...page.html.matchAll(/data-id="([^"]+)" data-current="(true|false)"/g)].map(
      ([, id, current]) => ({ id: id!, current: current === "true" }),
    );
  }
}

const PASSWORD = "correct horse battery staple";

async function loggedIn(password = PASSWORD) {
  const browser = new Browser();
  const login = await browser.post("/login", { user: "ada", password });
  expect([login.status, login.location]).toEqual([303, "/devices"]);
  return browser;
}

describe("examples/astro, started with npm start", () => {
  it("sends a visitor to the login page and refuses a wrong password", async () => {
    const visitor = new Browser();
    expect((await visitor.request("/")).location).toBe("/login");
    expect((await visitor.request("/devices")).location).toBe("/login");
    const wrong = await visitor.post("/login", { user: "ada", password: "guess" });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain("Wrong user name or password.");
    expect(visitor.cookie).toBe("");
  });

  it("lists the devices, logs one out, steps up, changes the password, logs out everywhere", async () => {
    const laptop = await loggedIn();
    const phone = await loggedIn();
    const devices = await laptop.devices();
    expect(devices).toHaveLength(2);
    const other = devices.find((device) => !device.current)!;

    // Revoke the phone from the laptop.
    expect((await laptop.post("/devices", { action: "revoke", id: other.id })).status).toBe(200);
    expect((await phone.request("/devices")).location).toBe("/login");
    expect(await laptop.devices()).toHaveLength(1);

    // FRESH_FOR=1: a second later the login no longer allows the password change.
    const tablet = await loggedIn();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await laptop.request("/security")).html).toContain("Confirm your password first.");
    const stale = await laptop.post("/security", { password: "a new password" });
    expect(stale.status).toBe(403);
    expect(JSON.parse(stale.html)).toEqual({ error: "not-fresh" });
    expect((await laptop.post("/security", { action: "stepUp", password: "guess" })).status).toBe(
      400,
    );
    const before = laptop.cookie;
    const stepUp = await laptop.post("/security", { action: "stepUp", password: PASSWORD });
    expect(stepUp.status).toBe(200);
    expect(laptop.cookie).not.toBe(before); // step-up rotates the secret
    const changed = await laptop.post("/security", { password: "a new password" });
    expect(changed.html).toContain("Password changed; 1 other sessions ended.");
    expect((await tablet.request("/devices")).location).toBe("/login");
    await loggedIn("a new password");

    const out = await laptop.post("/devices", { action: "everywhere" });
    expect([out.status, out.location]).toEqual([303, "/login"]);
    expect((await laptop.request("/devices")).location).toBe("/login");
  });
});
