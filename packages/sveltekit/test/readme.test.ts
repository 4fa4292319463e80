/**
 * The README's quick start as pasted (test/readme-app.ts), built with adapter-node against the
 * built package and served by `node build/index.js` (test/global-setup.ts), driven over HTTP.
 */
import { Client } from "@tessera/test-kit";
import { describe, expect, inject, it } from "vitest";

const url = inject("readmeUrl");

describe("README", () => {
  it("quick start builds and runs as pasted: logs in, shows the user, logs out everywhere", async () => {
    const browser = new Client(url);
    const login = await browser.post("/login", { json: { user: "alice" } });
    expect(login.body).toEqual({ user: "alice" });
    expect(login.cookie("__Host-session")).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    const phone = new Client(url);
    await phone.post("/login", { json: { user: "alice" } });
    expect((await browser.get("/me")).body).toEqual({ user: "alice" });
    const page = await browser.get("/account", { headers: { accept: "text/html" } });
    expect(page.body).toContain("<p>alice</p>");

    // The form action, as curl posts it: SvelteKit's action JSON.
    const everywhere = await fetch(`${url}/account?/everywhere`, {
      method: "POST",
      headers: {
        cookie: `__Host-session=${browser.jar.get("__Host-session")}`,
        origin: url,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "",
    });
    expect(await everywhere.json()).toEqual({
      type: "success",
      status: 200,
      data: '[{"ended":1},2]',
    });
    expect((await browser.get("/me")).status).toBe(401);
    expect((await phone.get("/me")).status).toBe(401);
    const away = await fetch(`${url}/account`, { redirect: "manual" });
    expect(away.status).toBe(303);
    expect(away.headers.get("location")).toBe("/login");
  });
});
