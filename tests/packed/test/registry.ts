/**
 * A throwaway npm registry for the publish rehearsal: Verdaccio (a devDependency of this app) on a
 * loopback port, its config, storage and users in a temp dir. It has no uplink: a `@tessera/*`
 * name there is what `changeset publish` put there or nothing, never the public registry's. The
 * scratch apps take only the `@tessera` scope from it (`@tessera:registry=...`, what an app
 * writes to use another registry for one scope); everything else comes from their usual registry.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort } from "./processes.js";

const require = createRequire(import.meta.url);

export interface Registry {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** The npm config key of the registry's credentials: `//127.0.0.1:PORT/`. */
  nerf: string;
  /** A token of a user created for this run (`npm adduser`'s endpoint). */
  token: string;
  /** The PID of the Verdaccio process. */
  pid: number;
  /** Stops Verdaccio (SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
}

function config(dir: string, port: number): string {
  return [
    `storage: ${JSON.stringify(join(dir, "storage"))}`,
    "auth:",
    "  htpasswd:",
    `    file: ${JSON.stringify(join(dir, "htpasswd"))}`,
    "    max_users: 10",
    "packages:",
    "  '@tessera/*':",
    "    access: $all",
    "    publish: $authenticated",
    "    unpublish: $authenticated",
    "  '**':",
    "    access: $all",
    "    publish: $authenticated",
    "web:",
    "  enable: false",
    "max_body_size: 50mb",
    `listen: 127.0.0.1:${port}`,
    "log: { type: stdout, format: pretty, level: warn }",
    "",
  ].join("\n");
}

async function waitForPing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`verdaccio exited (${code}): ${output()}`))),
  );
  const ready = (async () => {
    for (;;) {
      try {
        if ((await fetch(`${url}-/ping`)).ok) return;
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  await Promise.race([ready, exited]);
}

/** Starts Verdaccio with its config and storage under `dir`, and creates a user. */
export async function startRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(join(dir, "config.yaml"), config(dir, port));
  const pkgFile = require.resolve("verdaccio/package.json");
  const { bin } = JSON.parse(readFileSync(pkgFile, "utf8"));
  const script = join(dirname(pkgFile), typeof bin === "string" ? bin : bin.verdaccio);
  const child = spawn(process.execPath, [script, "--config", join(dir, "config.yaml")], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  // Never left running, whatever happens to the test process.
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    process.kill(child.pid!, "SIGTERM");
    const timer = setTimeout(kill, 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPing(url, child, () => output);
    const name = "rehearsal";
    const password = randomBytes(18).toString("base64url");
    const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, password, email: "rehearsal@example.invalid", type: "user" }),
    });
    const body = (await response.json()) as { token?: string; error?: string };
    if (!response.ok || !body.token) {
      throw new Error(`adduser failed (${response.status}): ${JSON.stringify(body)}`);
    }
    return { url, nerf: `//127.0.0.1:${port}/`, token: body.token, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
