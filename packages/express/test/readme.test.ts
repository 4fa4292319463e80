import { Client, startReadmeApp } from "@tessera/test-kit";
import { describe, expect, it } from "vitest";

describe("README", () => {
  it("quick start runs as pasted: logs in, shows the user, logs out everywhere", async () => {
    const { url } = await startReadmeApp(new URL("..", import.meta.url));

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
