/**
 * concepts/policies.md: each recipe runs as the page shows it (node, the built @tessera/core), and
 * prints what the page promises.
 */
import { describe, expect, it } from "vitest";
import { runScript } from "../../../tests/packed/test/processes.js";
import { codeBlock, exampleDir } from "./pages.js";

const PAGE = "concepts/policies.md";

async function run(file: string): Promise<string> {
  return runScript(exampleDir("concepts-policies"), file, codeBlock(PAGE, file));
}

describe(PAGE, () => {
  it("remember me: a browser-session cookie unticked, a persistent one ticked", async () => {
    const output = await run("remember-me.mjs");
    expect(output).toContain("unticked has Max-Age: false");
    expect(output).toContain("ticked has Max-Age: true");
    expect(output).toContain("longest lives days: 30");
  });

  it("session limit: 20 parallel logins leave the limit; refuse throws SessionLimitError", async () => {
    const output = await run("session-limit.mjs");
    expect(output).toContain("licence seats in use: 2");
    expect(output).toContain("second banking login: session-limit");
    expect(output).toMatch(/^evicted: \d+$/m);
  });

  it("guest cart: the cart survives the login, under a new id, and the guest token dies", async () => {
    const output = await run("guest-cart.mjs");
    expect(output).toContain("guest cart: tea, mug");
    expect(output).toContain("a guest is no user: not-found");
    expect(output).toContain("new id: true");
    expect(output).toContain("cart after login: tea, mug role: member");
    expect(output).toContain("old guest token: not-found");
    expect(output).toContain("user token: true");
    expect(output).toContain("event: session.upgraded");
  });

  it("impersonation: marked, never fresh, listed, admin targets refused, ends back", async () => {
    const output = await run("impersonation.mjs");
    expect(output).toContain("acting as: frank by: root");
    expect(output).toContain("fresh: false");
    expect(output).toContain("fresh after a step-up: false");
    expect(output).toContain("frank sees it: true");
    expect(output).toContain("admin as admin: admin-target");
    expect(output).toContain("back to: root");
    expect(output).toContain("impersonation token now: not-found");
    expect(output).toContain("event: session.impersonation_started");
    expect(output).toContain("event: session.impersonation_ended");
  });

  it("breach response: nothing issued before the epoch validates; new logins do", async () => {
    const output = await run("breach-response.mjs");
    expect(output).toContain("sessions alive after the revoke: 0");
    expect(output).toContain("guest alive: false");
    expect(output).toContain("a new login works: true");
  });
});
