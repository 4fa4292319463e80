/**
 * Throwaway redis-server processes for the tests: on loopback, on ports free at run time (other
 * suites run at the same time), in a temp dir, stopped by PID. Never touches the shared 6379.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export const REDIS_SERVER = "/usr/bin/redis-server";
export const REDIS_CLI = "/usr/bin/redis-cli";
export const CI = process.env.CI === "true";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the Redis binaries the tests start are installed. */
export function redisBinariesPresent(): boolean {
  return existsSync(REDIS_SERVER) && existsSync(REDIS_CLI);
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

/** Sends one inline command over a raw socket and resolves with the first reply line, or null. */
export function rawCommand(
  port: number,
  command: string,
  timeoutMs = 1000,
): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let reply = "";
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once("error", () => done(null));
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done(reply.slice(0, reply.indexOf("\r\n")));
    });
  });
}

/** Whether a Redis answers PING on `port`. */
export async function redisAnswers(port: number): Promise<boolean> {
  return (await rawCommand(port, "PING")) === "+PONG";
}

/** A redis-server started by a test. */
export interface RedisProcess {
  port: number;
  dir: string;
  child: ChildProcess;
}

/**
 * Starts redis-server in `dir` on `port` (or a fresh free port) with `extra` arguments, waits until it
 * answers PING, and retries on another free port if the chosen one was taken meanwhile.
 */
export async function startRedis(options: {
  dir: string;
  port?: number;
  extra?: string[];
}): Promise<RedisProcess> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    const logfile = join(options.dir, `redis-${port}.log`);
    const child = spawn(
      REDIS_SERVER,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        options.dir,
        "--logfile",
        logfile,
        "--save",
        "",
        "--appendonly",
        "no",
        "--enable-debug-command",
        "local",
        ...(options.extra ?? []),
      ],
      { stdio: "ignore" },
    );
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    for (let waited = 0; waited < 10_000 && !exited; waited += 50) {
      if (await redisAnswers(port)) return { port, dir: options.dir, child };
      await sleep(50);
    }
    if (!exited) child.kill("SIGKILL");
    const log = existsSync(logfile) ? readFileSync(logfile, "utf8") : "";
    if (options.port !== undefined || !/Address already in use/i.test(log)) {
      throw new Error(`redis-server on port ${port} did not start:\n${log.slice(-2000)}`);
    }
  }
  throw new Error("redis-server found no free port after 5 attempts");
}

/** Stops a redis-server started here: SIGTERM by PID, SIGKILL if it lingers. */
export async function stopRedis(server: RedisProcess): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** A temp dir for server files. */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `tessera-redis-${label}-`));
}

/** Removes a temp dir made by `makeTempDir`. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A running Redis Cluster of `nodes` masters, no replicas. */
export interface RedisCluster {
  ports: number[];
  stop(): Promise<void>;
}

/** Starts a Redis Cluster on free loopback ports and waits for `cluster_state:ok` everywhere. */
export async function startCluster(nodes = 3): Promise<RedisCluster> {
  const dir = makeTempDir("cluster");
  const servers: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map(stopRedis));
    removeTempDir(dir);
  };
  try {
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      // The cluster bus port is fixed explicitly: port + 10000 may be taken or out of range.
      const busPort = await freePort();
      servers.push(
        await startRedis({
          dir,
          port,
          extra: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(dir, `nodes-${port}.conf`),
            "--cluster-port",
            String(busPort),
            "--cluster-node-timeout",
            "5000",
          ],
        }),
      );
    }
    const ports = servers.map((server) => server.port);
    await run(REDIS_CLI, [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (let waited = 0; ; waited += 100) {
      const states = await Promise.all(ports.map((port) => cli(port, "CLUSTER INFO")));
      if (states.every((info) => info?.includes("cluster_state:ok"))) break;
      if (waited > 20_000) throw new Error(`cluster did not reach cluster_state:ok: ${states}`);
      await sleep(100);
    }
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs one redis-cli command against a port; the whole output, or null if it failed. */
async function cli(port: number, command: string): Promise<string | null> {
  const { stdout } = await run(REDIS_CLI, ["-p", String(port), ...command.split(" ")]).catch(
    () => ({ stdout: null as string | null }),
  );
  return stdout;
}
