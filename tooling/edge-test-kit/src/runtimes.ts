/**
 * Real runtimes for the runtime tests: a Worker served by workerd (through miniflare), and any
 * server process (Deno, Bun, wrangler) started from a command line and reached over loopback.
 * Nothing here skips: a runtime that cannot start makes the calling test fail.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { createServer } from "node:net";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

/** A server the test talks to over HTTP, and how to stop it. */
export interface RunningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** Everything the server printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The compatibility date the Workers are run with: the date of the workerd release the tests
 * install (miniflare 4.20260426.0 ships workerd 1.20260426.1).
 */
export const COMPATIBILITY_DATE = "2026-04-26";

/**
 * Bundles a Worker entry (TypeScript or JavaScript) into one ES module the way wrangler does:
 * the `workerd` / `worker` / `browser` export conditions, `cloudflare:*` left to the runtime.
 */
export async function bundleWorker(entry: string | URL): Promise<string> {
  const result = await build({
    entryPoints: [entry instanceof URL ? fileURLToPath(entry) : entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    target: "es2022",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** Options of `startWorker`. */
export interface WorkerOptions {
  /** The Worker's entry module, bundled with `bundleWorker`. */
  entry: string | URL;
  /** Durable Object bindings: binding name to the exported class name (SQLite-backed). */
  durableObjects?: Record<string, string>;
  /** D1 database bindings by name, each an empty SQLite database in memory. */
  d1Databases?: string[];
  /** Compatibility flags, e.g. `["nodejs_compat"]`; none by default. */
  compatibilityFlags?: string[];
}

/**
 * Serves a Worker with workerd on a free loopback port. Durable Objects keep their storage in
 * memory for the life of the server.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningServer> {
  const script = await bundleWorker(options.entry);
  const durableObjects = Object.fromEntries(
    Object.entries(options.durableObjects ?? {}).map(([binding, className]) => [
      binding,
      { className, useSQLite: true },
    ]),
  );
  const log: string[] = [];
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: options.compatibilityFlags ?? [],
    durableObjects,
    d1Databases: options.d1Databases ?? [],
    // Offline: the fallback `request.cf` object, never one fetched from Cloudflare.
    cf: false,
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on("data", (chunk: Buffer) => log.push(String(chunk)));
      stderr.on("data", (chunk: Buffer) => log.push(String(chunk)));
    },
  });
  const url = await mf.ready;
  return {
    url: url.origin,
    output: () => log.join(""),
    stop: () => mf.dispose(),
  };
}

/**
 * Sends one request with a JSON body (a GET without one) on a connection of its own, closed
 * after the answer, and resolves the parsed JSON answer whatever its status. The store harnesses
 * call a server in workerd, Deno or Bun this way instead of `fetch`: on a busy machine workerd
 * can end a kept-alive connection just as the next call reuses it (`ECONNRESET`, "other side
 * closed"), which would fail a store call for a reason of the harness's own.
 */
export function requestJson(url: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: body === undefined ? "GET" : "POST",
        agent: false,
        headers: { "content-type": "application/json", connection: "close" },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("error", reject);
        response.on("end", () => {
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(
              new Error(
                `${url} answered ${response.statusCode} with no JSON: ${text.slice(0, 200)}`,
              ),
            );
          }
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A port nobody listens on right now, for servers that must be told their port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Options of `startProcess`. */
export interface ProcessOptions {
  /** The executable (an absolute path, or a name found on `PATH`). */
  command: string;
  args?: string[];
  cwd?: string | URL;
  env?: Record<string, string>;
  /**
   * Matched against the output until it names the server's URL: the first capture group is the
   * base URL. Default: the first `http://127.0.0.1:<port>` or `http://localhost:<port>` printed.
   */
  ready?: RegExp;
  /** Milliseconds to wait for `ready`. Default 30 000. */
  timeout?: number;
}

/**
 * Starts a server process and resolves once it prints its URL. Rejects, with everything the
 * process printed, if it exits or stays silent: a runtime that cannot start fails the test.
 */
export async function startProcess(options: ProcessOptions): Promise<RunningServer> {
  const ready = options.ready ?? /(http:\/\/(?:127\.0\.0\.1|localhost):\d+)/;
  const child: ChildProcess = spawn(options.command, options.args ?? [], {
    cwd: options.cwd instanceof URL ? fileURLToPath(options.cwd) : options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stop() ends whatever the command started (wrangler's workerd).
    detached: true,
  });
  let output = "";
  const exited = once(child, "exit");
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) =>
      reject(new Error(`${options.command} ${why}; it printed:\n${output || "(nothing)"}`));
    const timer = setTimeout(
      () => fail("did not print its URL in time"),
      options.timeout ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace(/\/$/, ""));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(`could not be started (${error.message})`);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(`exited (${signal ?? code}) before it was ready`);
    });
  }).catch(async (error: unknown) => {
    killGroup(child, "SIGKILL");
    throw error;
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, "SIGTERM");
      const hung = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
      await exited;
      clearTimeout(hung);
    },
  };
}

/** Signals the process group the child leads (the child and whatever it started). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
