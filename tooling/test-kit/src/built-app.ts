/**
 * A framework's production build under its own production server, as a child process of the
 * test run (stopped by PID), and the shared scenarios pointed at it: the test process pulls the
 * levers of app-host.ts over HTTP. For vitest's globalSetup: build and start once per run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import type { SessionEvent } from "@tessera/core";
import type { HostedConfig } from "./app-host.js";
import type { DbscApp, StartDbscApp } from "./dbsc.js";
import { DbscBrowser } from "./dbsc-client.js";
import { Client } from "./http.js";
import type { ReferenceApp, ReferenceConfig, StartReferenceApp } from "./reference.js";

/** A free loopback port. */
export function freePort(): Promise<number> {
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
 * Runs a build command (`node <args>` in `cwd`) to completion; rejects with its output if it
 * fails. Builds of several apps may run side by side.
 */
export function buildApp(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`build failed in ${cwd} (exit ${code}):\n${output}`)),
    );
  });
}

/** A running production server. */
export interface BuiltApp {
  /** Base URL on 127.0.0.1. */
  url: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` in `cwd` with `PORT` (and `HOST=127.0.0.1`) set, the test levers on,
 * and resolves once `readyPath` answers anything but a 5xx (within 60 s).
 */
export async function startBuiltApp(options: {
  cwd: string;
  args: string[];
  /** Extra environment, or a function of the port (for a server told its own origin). */
  env?: Record<string, string> | ((port: number) => Record<string, string>);
  readyPath?: string;
}): Promise<BuiltApp> {
  const { cwd, args, readyPath = "/" } = options;
  const port = await freePort();
  let output = "";
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: {
      ...process.env,
      TESSERA_REFERENCE_TEST_HOOKS: "1",
      PORT: String(port),
      HOST: "127.0.0.1",
      ...(typeof options.env === "function" ? options.env(port) : options.env),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited early:\n${output}`);
    try {
      const response = await fetch(`${url}${readyPath}`);
      await response.arrayBuffer();
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${args.join(" ")} did not answer within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
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

async function lever(url: string, action: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}/test-only/${action}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`lever ${action}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** The reference app of a built server at `url`, reconfigured (fresh store and clock) per start. */
export function hostedReferenceApp(url: string): StartReferenceApp {
  return async (config: ReferenceConfig = {}): Promise<ReferenceApp> => {
    await lever(url, "configure", config satisfies HostedConfig);
    return {
      url,
      client: () => new Client(url),
      advanceClock: async (seconds) => {
        await lever(url, "clock", { seconds });
      },
      storeReads: async () => ((await lever(url, "reads")) as { reads: number }).reads,
      setStore: async (mode) => {
        await lever(url, "store", { mode });
      },
    };
  };
}

/** The DBSC reference app of a built server at `url`, reconfigured per start. */
export function hostedDbscApp(url: string): StartDbscApp {
  return async (): Promise<DbscApp> => {
    await lever(url, "configure", { dbsc: true } satisfies HostedConfig);
    return {
      url,
      browser: () => new DbscBrowser(url),
      client: () => new Client(url),
      advanceClock: async (seconds) => {
        await lever(url, "clock", { seconds });
      },
      events: async () => ((await lever(url, "events")) as { events: SessionEvent[] }).events,
      sessions: {
        revoke: async (id) => ((await lever(url, "revoke", { id })) as { result: boolean }).result,
        revokeAll: async (user) =>
          ((await lever(url, "revoke-all", { user })) as { result: number }).result,
      },
    };
  };
}

/**
 * Writes a package README's quick start as an app under `<packageDir>/.tmp/readme-app`: each
 * code block of the `## Quick start` section whose first line is `// <path>` becomes that file
 * (they must be exactly `files`, in order), each block in a language of `byLanguage` becomes the
 * file it names, then `extra` (what the framework's starter adds: a page shell, a config). The
 * package itself, built, is installed as `node_modules/<name>`. Resolves the app's directory.
 */
export function writeQuickStartApp(
  packageDir: string,
  options: {
    files: string[];
    byLanguage?: Record<string, string>;
    extra?: Record<string, string>;
  },
): string {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    name: string;
  };
  if (!existsSync(join(packageDir, "dist/index.js"))) {
    throw new Error(`build ${manifest.name} first: its README app imports the built package`);
  }
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Quick start"),
    readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1),
  );
  const files = new Map<string, string>();
  const named: string[] = [];
  for (const [, language, code] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const path = /^\/\/ (\S+)\n/.exec(code!)?.[1];
    if (path) {
      files.set(path, code!);
      named.push(path);
    } else if (options.byLanguage?.[language!]) files.set(options.byLanguage[language!]!, code!);
  }
  if (JSON.stringify(named) !== JSON.stringify(options.files)) {
    throw new Error(`the quick start of ${manifest.name} has files ${named.join(", ")}`);
  }
  for (const [path, code] of Object.entries(options.extra ?? {})) files.set(path, code);
  if (!files.has("package.json"))
    files.set("package.json", '{ "private": true, "type": "module" }\n');

  const appDir = join(packageDir, ".tmp/readme-app");
  rmSync(appDir, { recursive: true, force: true });
  for (const [path, code] of files) {
    mkdirSync(dirname(join(appDir, path)), { recursive: true });
    writeFileSync(join(appDir, path), code);
  }
  const installed = join(appDir, "node_modules", manifest.name);
  mkdirSync(dirname(installed), { recursive: true });
  symlinkSync(packageDir, installed, "dir");
  return appDir;
}
