/**
 * Example programs as a user runs them: written to a file, started with `node`, read from stdout
 * (a script) or spoken to over HTTP once it prints "listening" (a server). Shared by the
 * packed-tarball test and the documentation site's example tests.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Writes `source` to `dir/file` and runs it with `node` in `dir` to its end, with only `PATH` and
 * `env` in its environment; resolves what it printed, rejects with its stderr on a non-zero exit.
 */
export function runScript(
  dir: string,
  file: string,
  source: string,
  env: Record<string, string> = {},
): Promise<string> {
  writeFileSync(join(dir, file), source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${file} exited ${code}: ${stderr}`)),
    );
  });
}

/**
 * Writes `source` to `dir/file` and starts it with `node` in `dir`, with `PORT` set to a free port
 * (and `env`); resolves its base URL once it prints "listening", and a function that stops it.
 */
export async function startServer(
  dir: string,
  file: string,
  source: string,
  env: Record<string, string> = {},
): Promise<{ url: string; stop: () => void }> {
  writeFileSync(join(dir, file), source);
  const port = await freePort();
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      if (String(chunk).includes("listening")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${file} exited (${code}): ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
