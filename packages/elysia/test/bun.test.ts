/**
 * @tessera/elysia on Bun (the `bun` npm package, as tests/runtimes runs it): the scenarios
 * every integration passes, against the reference app served by Elysia on `Bun.serve`
 * (bun-server.ts, one Bun process for the file, a fresh app per scenario).
 */
import { fileURLToPath } from "node:url";
import { type RunningServer, startProcess } from "@tessera/edge-test-kit";
import {
  Client,
  policyScenarios,
  type ReferenceApp,
  type ReferenceConfig,
  sessionScenarios,
  storeOutageScenarios,
} from "@tessera/test-kit";
import { afterAll, beforeAll, describe, it } from "vitest";

const here = new URL("..", import.meta.url);
let bun: RunningServer;

beforeAll(async () => {
  bun = await startProcess({
    command: fileURLToPath(new URL("node_modules/.bin/bun", here)),
    args: ["run", "test/bun-server.ts"],
    cwd: here,
    env: { NO_COLOR: "1" },
  });
});

afterAll(async () => {
  await bun?.stop();
});

async function lever(action: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${bun.url}/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`lever ${action}: ${response.status} ${bun.output()}`);
  return response.json();
}

async function start(config: ReferenceConfig = {}): Promise<ReferenceApp> {
  const { url } = (await lever("configure", config)) as { url: string };
  return {
    url,
    client: () => new Client(url),
    advanceClock: async (seconds) => {
      await lever("clock", { seconds });
    },
    async storeReads() {
      const response = await fetch(`${bun.url}/reads`);
      return ((await response.json()) as { reads: number }).reads;
    },
    setStore: async (mode) => {
      await lever("store", { mode });
    },
  };
}

describe("Elysia on Bun", () => {
  for (const scenario of [...sessionScenarios, ...storeOutageScenarios, ...policyScenarios]) {
    it(scenario.name, () => scenario.run(start));
  }
});
