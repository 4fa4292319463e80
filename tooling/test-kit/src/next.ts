/** A built Next.js app under `next start`, as a child process of the test run, stopped by PID. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";

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

/**
 * The version of Next.js the app in `appDir` resolves (e.g. "15.5.29"), for test titles: the
 * same suites run on examples/next (Next.js 16) and its Next.js 15 twin.
 */
export function nextVersion(appDir: string): string {
  const require = createRequire(`${appDir}/package.json`);
  return (require("next/package.json") as { version: string }).version;
}

/** A running `next start`. */
export interface RunningNextApp {
  /** Base URL on 127.0.0.1, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the Next.js app in `appDir` with `next start` on a free loopback port and resolves once
 * `readyPath` answers 2xx. Builds it first when there is no build (the root `npm test` builds
 * through turbo before testing; this is for a bare `vitest run`).
 */
export async function startNextApp(options: {
  appDir: string;
  env?: Record<string, string>;
  readyPath?: string;
}): Promise<RunningNextApp> {
  const { appDir, readyPath = "/" } = options;
  const nextBin = createRequire(`${appDir}/package.json`).resolve("next/dist/bin/next");
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...options.env };
  if (!existsSync(`${appDir}/.next/BUILD_ID`)) {
    console.warn(`[${appDir}] no build found: running \`next build\` first`);
    const built = spawnSync(process.execPath, [nextBin, "build"], {
      cwd: appDir,
      stdio: "inherit",
      env,
    });
    if (built.status !== 0) throw new Error(`next build failed (exit ${built.status})`);
  }
  // The port is free when probed but taken only when `next start` binds it: another suite
  // starting a server at the same moment can get it first. Then `next start` fails to bind,
  // and the other server would answer the readiness check in its place, so readiness also needs
  // this child's own "Ready in" line; a child that lost the port is retried on a new one.
  for (let attempt = 1; ; attempt++) {
    const started = await startOnce(nextBin, appDir, env, readyPath);
    if (started.ok) return started.app;
    if (!started.portTaken || attempt >= 3) throw new Error(started.message);
  }
}

type StartResult =
  | { ok: true; app: RunningNextApp }
  | { ok: false; portTaken: boolean; message: string };

async function startOnce(
  nextBin: string,
  appDir: string,
  env: NodeJS.ProcessEnv,
  readyPath: string,
): Promise<StartResult> {
  const port = await freePort();
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"],
    { cwd: appDir, env: { ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return {
        ok: false,
        portTaken: output.includes("EADDRINUSE"),
        message: `next start exited early:\n${output}`,
      };
    }
    if (output.includes("Ready in")) {
      try {
        const response = await fetch(`${url}${readyPath}`);
        await response.arrayBuffer();
        if (response.ok) break;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      return {
        ok: false,
        portTaken: false,
        message: `next start did not answer within 60 s:\n${output}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const app: RunningNextApp = {
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
  return { ok: true, app };
}
