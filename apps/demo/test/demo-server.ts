/** Runs the built admin command (`npm run demo:admin -- <username>`) on a data folder. */
export function runAdminCommand(
  dataDir: string,
  username: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(appDir, "dist", "admin.js"), username], {
      cwd: appDir,
      env: { ...process.env, DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/**
 * Starts the built demo (`dist/main.js`) as a real server on a free port with its own data
 * folder, and stops it by PID afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const appDir = fileURLToPath(new URL("..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** A running demo server. */
export interface DemoServer {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** A fresh data folder for a demo; remove it with `removeDataDir`. */
export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), "tessera-demo-"));
}

/** Removes a folder made by `makeDataDir`. */
export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Starts the demo with extra environment variables; resolves once it listens. With `dataDir`
 * it uses (and on stop keeps) that folder, so a restart finds the same accounts.
 */
export async function startDemo(
  env: Record<string, string> = {},
  options: { dataDir?: string } = {},
): Promise<DemoServer> {
  const main = join(appDir, "dist", "main.js");
  if (!existsSync(main)) throw new Error("apps/demo is not built: run `pnpm build` first");
  const port = await freePort();
  const dataDir = options.dataDir ?? makeDataDir();
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [main], {
    cwd: appDir,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `${env.TLS_CERT ? "https" : "http"}://localhost:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      if (!options.dataDir) removeDataDir(dataDir);
    },
  };
}
