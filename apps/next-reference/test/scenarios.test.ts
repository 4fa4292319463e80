/**
 * @tessera/next on a real `next start`: the scenarios every integration passes, against this
 * app's reference routes (proxy + route handlers on `withSession`). One server for the file; each
 * scenario reconfigures it (fresh store, clock and options) through the test-only endpoints.
 * The Next.js 15 twin (apps/next-reference-15) runs this file too, on its middleware.ts.
 */
import { fileURLToPath } from "node:url";
import {
  Client,
  nextVersion,
  type ReferenceApp,
  type ReferenceConfig,
  type RunningNextApp,
  sessionScenarios,
  startNextApp,
  storeOutageScenarios,
} from "@tessera/testing";
import { afterAll, beforeAll, describe, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
let server: RunningNextApp;

beforeAll(async () => {
  server = await startNextApp({
    appDir,
    env: { TESSERA_REFERENCE_TEST_HOOKS: "1" },
    readyPath: "/public",
  });
});

afterAll(async () => {
  await server?.stop();
});

async function lever(action: string, body: unknown): Promise<void> {
  const response = await fetch(`${server.url}/test-only/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`lever ${action}: ${response.status} ${server.output()}`);
}

async function start(config: ReferenceConfig = {}): Promise<ReferenceApp> {
  await lever("configure", config);
  const url = server.url;
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

describe(`Next.js ${nextVersion(appDir)} on next start`, () => {
  for (const scenario of [...sessionScenarios, ...storeOutageScenarios]) {
    it(scenario.name, () => scenario.run(start));
  }
});
