/**
 * The README's quick start as pasted (test/readme-app.ts), built with `react-router build`
 * against the built package and served by `react-router-serve` (test/global-setup.ts), driven
 * over HTTP.
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
    expect((await browser.post("/logout-everywhere")).body).toEqual({ ended: 2 });
    expect((await browser.get("/me")).status).toBe(401);
    expect((await phone.get("/me")).status).toBe(401);
  });
});
