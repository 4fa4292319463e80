import { Client, DbscBrowser, startReadmeApp } from "@tessera/test-kit";
import { describe, expect, it } from "vitest";

describe("README", () => {
  it("quick start runs as pasted: a DBSC browser registers, a copied session cookie is refused", async () => {
    const { url } = await startReadmeApp(new URL("..", import.meta.url));

    const browser = new DbscBrowser(url);
    const login = await browser.post("/login", { json: { user: "alice" } });
    expect(login.body).toEqual({ user: "alice" });
    expect(browser.registration?.status).toBe(200);
    expect((await browser.get("/me")).body).toEqual({ user: "alice", deviceBound: true });
    expect((await browser.get("/devices")).body).toEqual([
      { id: browser.session!.id, deviceBound: true, current: true },
    ]);

    const thief = new Client(url);
    thief.jar.set("__Host-session", browser.client.jar.get("__Host-session")!);
    const stolen = await thief.get("/me");
    expect(stolen.status).toBe(401);
    expect(stolen.body).toEqual({ error: "unauthenticated", reason: "device-unbound" });

    // A browser without DBSC works as before.
    const plain = new Client(url);
    await plain.post("/login", { json: { user: "bob" } });
    expect((await plain.get("/me")).body).toEqual({ user: "bob", deviceBound: false });

    browser.expireCredentials();
    expect((await browser.refresh()).kept).toBe(true);
    expect((await browser.post("/logout")).body).toEqual({ ended: true });
  });
});
