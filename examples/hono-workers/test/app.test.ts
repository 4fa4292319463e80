import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  freePort,
  runExampleSuite,
  scriptPath,
  startProcess,
  startScript,
} from "@tessera/edge-test-kit";
import { afterAll } from "vitest";

const here = new URL("..", import.meta.url);
const state = mkdtempSync(join(tmpdir(), "tessera-hono-workers-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));

// `npm start` is `wrangler dev`: workerd serves the Worker and its Durable Objects locally.
runExampleSuite("examples/hono-workers (wrangler dev, Durable Objects)", async () => {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [
    `--ip 127.0.0.1 --port ${port} --inspector-port ${inspectorPort}`,
    `--persist-to ${state} --var ROTATION_INTERVAL:0 --show-interactive-dev-session=false`,
  ];
  return startProcess({
    command: "sh",
    args: ["-c", `${startScript(here)} ${args.join(" ")}`],
    cwd: here,
    env: {
      PATH: scriptPath(here),
      // Offline: no request for the `cf` object nor usage metrics.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
    },
    ready: /Ready on (http:\/\/127\.0\.0\.1:\d+)/,
    timeout: 60_000,
  });
});
