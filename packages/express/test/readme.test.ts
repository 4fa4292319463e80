import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "./support.js";

const here = fileURLToPath(new URL("..", import.meta.url));

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

let child: ChildProcess | undefined;
afterEach(() => {
  if (child?.pid && child.exitCode === null) process.kill(child.pid);
});

describe("README", () => {
  it("quick start runs as pasted: logs in, shows the user, logs out everywhere", async () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/express first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `import "@tessera/express"` resolves to the package itself.
    writeFileSync(`${here}.tmp/app.mjs`, example!);
    const port = await freePort();
    const app = spawn(process.execPath, [`${here}.tmp/app.mjs`], {
      env: { ...process.env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = app;
    let stderr = "";
    app.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      app.stdout?.on("data", (chunk) => {
        if (String(chunk).includes("listening")) resolve();
      });
      app.once("exit", (code) => reject(new Error(`example exited (${code}): ${stderr}`)));
    });

    const browser = new Client(`http://127.0.0.1:${port}`);
    const login = await browser.post("/login", { json: { user: "alice" } });
    expect(login.body).toEqual({ user: "alice" });
    expect(login.cookie("__Host-session")).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    const phone = new Client(`http://127.0.0.1:${port}`);
    await phone.post("/login", { json: { user: "alice" } });
    expect((await browser.get("/me")).body).toEqual({ user: "alice" });
    expect((await browser.post("/logout-everywhere")).body).toEqual({ ended: 2 });
    expect((await browser.get("/me")).status).toBe(401);
    expect((await phone.get("/me")).status).toBe(401);
  });
});
