/**
 * Starts the built example with `next start` on a free loopback port, as a child process of
 * the test run, and stops it by PID. Builds the app first if there is no build (the root
 * `npm test` builds through turbo before testing, so this is for a bare `vitest run`).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const appDir = fileURLToPath(new URL("..", import.meta.url));
const nextBin = createRequire(`${appDir}package.json`).resolve("next/dist/bin/next");

/** Environment every test server runs with: short rotation, test hooks, no telemetry. */
export const TEST_ENV = {
  NEXT_TELEMETRY_DISABLED: "1",
  TESSERA_ROTATION_INTERVAL: "2",
  TESSERA_EXAMPLE_TEST_HOOKS: "1",
};

function ensureBuilt(): void {
  if (existsSync(`${appDir}.next/BUILD_ID`)) return;
  console.warn("[next-example] no build found: running `next build` first");
  const result = spawnSync(process.execPath, [nextBin, "build"], {
    cwd: appDir,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status})`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

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
  ensureBuilt();
  const port = await freePort();
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: appDir,
      env: { ...process.env, ...TEST_ENV, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited early:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/login`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`next start did not answer within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    url,
    port,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves after `ms` milliseconds (waiting out the 2-second rotation interval). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
