/**
 * The demo's operations wiring: telemetry exported to the console (TESSERA_OTEL=console), and the
 * admin's anomaly page showing a burst of guessed secrets, over real HTTP to the built demo.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DemoServer,
  makeDataDir,
  removeDataDir,
  runAdminCommand,
  startDemo,
} from "./demo-server.js";

let demo: DemoServer;
const dataDir = makeDataDir();

beforeAll(async () => {
  // The admin is named by the operator: sign "root" up, then promote it with the admin command.
  const first = await startDemo({}, { dataDir });
  await fetch(`${first.url}/signup`, form({ username: "root", password: "a good password" }));
  await first.stop();
  expect((await runAdminCommand(dataDir, "root")).code).toBe(0);
  demo = await startDemo(
    { TESSERA_OTEL: "console", TESSERA_OTEL_METRICS_INTERVAL: "300" },
    { dataDir },
  );
});
afterAll(async () => {
  await demo?.stop();
  removeDataDir(dataDir);
});

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
  redirect: "manual" as const,
});

describe("demo operations", () => {
  it("shows the admin an anomaly for a burst of guessed secrets, and exports spans and metrics to the console", async () => {
    const login = await fetch(
      `${demo.url}/login`,
      form({ username: "root", password: "a good password" }),
    );
    expect(login.status).toBe(303);
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith("__Host-session="))!
      .split(";")[0]!;
    const [id, secret] = cookie.slice("__Host-session=".length).split(".") as [string, string];

    const before = await fetch(`${demo.url}/admin/anomalies`, { headers: { cookie } });
    expect(before.status).toBe(200);
    expect(await before.text()).toContain("None so far.");

    // Someone who learnt the session id guesses secrets: 20 tries from one network (loopback).
    for (let n = 0; n < 20; n++) {
      const guess = `__Host-session=${id}.${String.fromCharCode(97 + (n % 26)).repeat(secret.length)}`;
      await fetch(`${demo.url}/account`, { headers: { cookie: guess }, redirect: "manual" });
    }
    const after = await fetch(`${demo.url}/admin/anomalies`, { headers: { cookie } });
    const page = await after.text();
    expect(page).toContain('data-type="anomaly.invalid_secrets"');
    expect(page).toContain("127.0.0.0/24");
    expect(demo.output()).toContain(
      "anomaly.invalid_secrets: 20 invalid secrets from 127.0.0.0/24",
    );

    await new Promise((resolve) => setTimeout(resolve, 800)); // one metrics export interval
    expect(demo.output()).toContain("telemetry to the console");
    expect(demo.output()).toContain("tessera.validate");
    expect(demo.output()).toContain("tessera.store.get");
    expect(demo.output()).toContain("tessera.session.validations");
    expect(demo.output()).toContain("invalid-secret");
  });

  it("keeps the anomaly page for the admin only", async () => {
    const signup = await fetch(
      `${demo.url}/signup`,
      form({ username: "guest", password: "a good password" }),
    );
    const cookie = signup.headers
      .getSetCookie()
      .find((c) => c.startsWith("__Host-session="))!
      .split(";")[0]!;
    const page = await fetch(`${demo.url}/admin/anomalies`, { headers: { cookie } });
    expect(page.status).toBe(403);
    const anonymous = await fetch(`${demo.url}/admin/anomalies`, { redirect: "manual" });
    expect(anonymous.status).toBe(303);
  });
});
