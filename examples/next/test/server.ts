/**
 * Starts the built example with `next start` on a free loopback port (through
 * @tessera/test-kit's `startNextApp`, which builds first when there is no build) and stops it by
 * PID. The browser tests use `localhost`, where Chromium keeps `Secure` cookies on plain http.
 */
import { fileURLToPath } from "node:url";
import { nextVersion, startNextApp } from "@tessera/test-kit";

export const appDir = fileURLToPath(new URL("..", import.meta.url));

/** The Next.js this app runs: 16 here, 15 in the twin examples/next-15 (same test files). */
export const NEXT_VERSION = nextVersion(appDir);

/** Environment every test server runs with: short rotation, test hooks, no telemetry. */
export const TEST_ENV = {
  TESSERA_ROTATION_INTERVAL: "2",
  TESSERA_EXAMPLE_TEST_HOOKS: "1",
};

export interface RunningApp {
  /** Base URL, e.g. http://localhost:41234 */
  url: string;
  port: number;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Builds if needed, starts `next start`, and resolves once it answers HTTP. */
export async function startApp(): Promise<RunningApp> {
  const app = await startNextApp({ appDir, env: TEST_ENV, readyPath: "/login" });
  return { ...app, url: `http://localhost:${app.port}` };
}

/** Resolves after `ms` milliseconds (waiting out the 2-second rotation interval). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
