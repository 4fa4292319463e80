/** The demo over plain HTTP: bad input gets clear pages, never a stack trace. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemo } from "./demo-server.js";

let demo: DemoServer;

beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.stop();
});

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
  redirect: "manual" as const,
});

function expectNoStackTrace(body: string) {
  expect(body).not.toMatch(/at .+\.(js|ts):\d+/);
  expect(body).not.toContain("Error:");
}

describe("demo over HTTP", () => {
  it("prints the store in use and its URL on start", () => {
    expect(demo.output()).toContain("sessions in PGlite");
    expect(demo.output()).toMatch(/listening on http:\/\/localhost:\d+/);
  });

  it("signs up, sets a secure host-only session cookie and shows the account", async () => {
    const signup = await fetch(
      `${demo.url}/signup`,
      form({ username: "carol", password: "correct horse" }),
    );
    expect(signup.status).toBe(303);
    const cookie = signup.headers.getSetCookie().find((c) => c.startsWith("__Host-session="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    const account = await fetch(`${demo.url}/account`, {
      headers: { cookie: cookie!.split(";")[0]! },
    });
    expect(account.status).toBe(200);
    expect(await account.text()).toContain("Signed in as carol");
  });

  it("answers a wrong password and an unknown user with the same clear page", async () => {
    await fetch(`${demo.url}/signup`, form({ username: "dave", password: "a good password" }));
    const wrong = await fetch(
      `${demo.url}/login`,
      form({ username: "dave", password: "nope nope" }),
    );
    const unknown = await fetch(`${demo.url}/login`, form({ username: "nobody", password: "x" }));
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(body).toContain("Wrong username or password.");
      expect(response.headers.getSetCookie()).toEqual([]);
      expectNoStackTrace(body);
    }
  });

  it("refuses a taken username and a short password with a readable reason", async () => {
    await fetch(`${demo.url}/signup`, form({ username: "erin", password: "long enough" }));
    const taken = await fetch(
      `${demo.url}/signup`,
      form({ username: "erin", password: "long enough" }),
    );
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain("That username is taken.");
    const short = await fetch(`${demo.url}/signup`, form({ username: "frank", password: "short" }));
    expect(short.status).toBe(400);
    expect(await short.text()).toContain("Passwords are 8 to 256 characters.");
  });

  it("treats garbage and oversized cookies as no session, with a clear page", async () => {
    for (const value of [
      "<script>alert(1)</script>",
      "a.b.c.d",
      "x".repeat(8000),
      `${"a".repeat(24)}.${"b".repeat(32)}`,
      "%00%ff%fe",
    ]) {
      const response = await fetch(`${demo.url}/account`, {
        headers: { cookie: `__Host-session=${value}` },
        redirect: "manual",
      });
      expect(response.status).toBe(302);
      const landing = await fetch(new URL(response.headers.get("location")!, demo.url), {
        headers: { cookie: `__Host-session=${value}` },
      });
      expect(landing.status).toBe(200);
      const body = await landing.text();
      expect(body).toContain("Log in");
      expectNoStackTrace(body);
    }
  });

  it("refuses an oversized form with 413 and a cross-site form post with 403", async () => {
    const huge = await fetch(
      `${demo.url}/login`,
      form({ username: "a", password: "x".repeat(40_000) }),
    );
    expect(huge.status).toBe(413);
    expectNoStackTrace(await huge.text());
    const crossSite = await fetch(`${demo.url}/login`, {
      ...form({ username: "carol", password: "correct horse" }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://evil.test",
        "sec-fetch-site": "cross-site",
      },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
  });

  it("answers unknown pages with a 404 page", async () => {
    const response = await fetch(`${demo.url}/no/such/page`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("There is no page at this address.");
  });
});
