/**
 * @tessera/h3 in a real Nuxt production build (test/nuxt-app, built once per run by
 * nuxt-build.ts, served by `node .output/server/index.mjs`): the scenarios every integration
 * passes, against the app's server middleware and routes. One server for the file; each scenario
 * reconfigures it (fresh store, clock and options) through the test-only endpoints.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  Client,
  freePort,
  type ReferenceApp,
  type ReferenceConfig,
  sessionScenarios,
  storeOutageScenarios,
} from "@tessera/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nuxtAppDir } from "./nuxt-build.js";

let server: ChildProcess;
let url: string;
let output = "";

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [`${nuxtAppDir}/.output/server/index.mjs`], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      TESSERA_REFERENCE_TEST_HOOKS: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  server.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the Nuxt server exited:\n${output}`);
    try {
      if ((await fetch(`${url}/public`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the Nuxt server did not answer:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
});

async function lever(action: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}/test-only/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`lever ${action}: ${response.status} ${output}`);
}

async function start(config: ReferenceConfig = {}): Promise<ReferenceApp> {
  await lever("configure", config);
  return {
    url,
    client: () => new Client(url),
    advanceClock: (seconds) => lever("clock", { seconds }),
    async storeReads() {
      const response = await fetch(`${url}/test-only/reads`);
      return ((await response.json()) as { reads: number }).reads;
    },
    setStore: (mode) => lever("store", { mode }),
  };
}

describe("Nuxt production build (node .output/server/index.mjs)", () => {
  for (const scenario of [...sessionScenarios, ...storeOutageScenarios]) {
    it(scenario.name, () => scenario.run(start));
  }

  it("renders the app's page with no session cookie for an anonymous visitor", async () => {
    const page = await new Client(url).get("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Tessera on Nuxt");
    expect(page.cookies.filter((line) => line.startsWith("session="))).toEqual([]);
  });
});
