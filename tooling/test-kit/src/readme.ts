/** Runs a package README's server example as pasted, against the built package. */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { expect, onTestFinished } from "vitest";

function freePort(): Promise<number> {
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
 * Starts the first `js` block under the README's `## Quick start` of the package at `packageDir`
 * as a Node process with `PORT` set to a free port, and resolves its base URL once it prints
 * "listening". The example is written into the package's `.tmp/`, so its `import "<package>"`
 * resolves to the package itself (self-reference): build the package first. Call it inside a
 * test: the process is stopped when the test finishes, passed or failed.
 */
export async function startReadmeApp(packageDir: URL): Promise<{ url: string }> {
  const dir = fileURLToPath(packageDir);
  const { name } = JSON.parse(readFileSync(`${dir}package.json`, "utf8")) as { name: string };
  expect(existsSync(`${dir}dist/index.js`), `build ${name} first`).toBe(true);
  const readme = readFileSync(`${dir}README.md`, "utf8");
  const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example, `the README of ${name} has a js block under "## Quick start"`).toBeDefined();
  mkdirSync(`${dir}.tmp`, { recursive: true });
  writeFileSync(`${dir}.tmp/readme-app.mjs`, example!);

  const port = await freePort();
  const app = spawn(process.execPath, [`${dir}.tmp/readme-app.mjs`], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(() => {
    if (app.exitCode === null) app.kill();
  });
  let stderr = "";
  app.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    app.stdout?.on("data", (chunk) => {
      if (String(chunk).includes("listening")) resolve();
    });
    app.once("exit", (code) => reject(new Error(`the README example exited (${code}): ${stderr}`)));
  });
  return { url: `http://127.0.0.1:${port}` };
}
