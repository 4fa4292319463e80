/**
 * Starts a contender's server in a child process of its own (NODE_ENV=production), asks it for
 * credentials, and stops it by PID.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchContext, Credential, StoreWrites } from "./contender.js";
import { type ContenderEntry, contenderPath } from "./registry.js";

/** A running contender server. */
export interface ServerHandle {
  entry: ContenderEntry;
  /** Base URL on loopback. */
  url: string;
  pid: number;
  /** Logs the bench user in `count` times (one session each) and returns the credentials. */
  prepare(count: number): Promise<Credential[]>;
  /** CPU time (user + system, µs) the server process has used so far. */
  cpu(): Promise<number>;
  /**
   * CPU time as `cpu()`, and the store writes so far for a contender that counts them (else
   * `null`).
   */
  usage(): Promise<{ micros: number; storeWrites: StoreWrites | null }>;
  /**
   * Samples the child's allocations while `during` runs (V8's sampling heap profiler) and
   * returns the bytes allocated meanwhile.
   */
  allocated(during: () => Promise<void>): Promise<number>;
  /**
   * The child's monotonic clock in µs (`process.hrtime`, the clock V8's CPU profiler stamps its
   * samples with on Linux), to cut a `--cpu-prof` profile down to a load window.
   */
  clock(): Promise<number>;
  /** Stops the child (IPC, then SIGKILL by PID after 5 s). */
  stop(): Promise<void>;
}

const BENCH_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

type ChildMessage =
  | { type: "ready"; port: number }
  | { type: "prepared"; credentials: Credential[] }
  | { type: "cpu"; micros: number; storeWrites: StoreWrites | null }
  | { type: "alloc"; bytes: number }
  | { type: "clock"; micros: number }
  | { type: "error"; message: string };

/** How a contender's child process is started. */
export interface StartOptions {
  /** How long to wait for each answer of the child. Default 60 s. */
  timeoutMs?: number;
  /** More Node flags for the child (e.g. `--cpu-prof`). */
  execArgv?: string[];
  /** How long `stop()` waits for the child to exit before SIGKILL. Default 5 s. */
  stopWaitMs?: number;
}

/** Starts `entry` with `context` (its `options` are filled from the entry). */
export async function startServer(
  entry: ContenderEntry,
  context: Omit<BenchContext, "options">,
  { timeoutMs = 60_000, execArgv = [], stopWaitMs = 5000 }: StartOptions = {},
): Promise<ServerHandle> {
  const child = fork(CHILD, [], {
    cwd: BENCH_ROOT,
    execArgv: ["--import", "tsx", ...execArgv],
    env: {
      ...process.env,
      NODE_ENV: "production",
      BENCH_CONTENDER_FILE: contenderPath(entry),
      BENCH_CONTEXT: JSON.stringify({ ...context, options: entry.options ?? {} }),
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${entry.name}`);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const next = <T extends ChildMessage["type"]>(type: T, what: string) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`${entry.name}: no answer to ${what}`)),
        timeoutMs,
      );
      const onMessage = (message: ChildMessage) => {
        if (message.type === type)
          done(() => resolve(message as Extract<ChildMessage, { type: T }>));
        else if (message.type === "error") fail(new Error(`${entry.name}: ${message.message}`));
      };
      const onExit = (code: number | null) =>
        fail(new Error(`${entry.name} exited (${code}) during ${what}:\n${output}`));
      function done(then: () => void) {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        then();
      }
      function fail(error: Error) {
        done(() => reject(error));
      }
      child.on("message", onMessage);
      child.once("exit", onExit);
    });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: "stop" });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, stopWaitMs))]);
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
  };

  let ready: { port: number };
  try {
    ready = await next("ready", "start");
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    entry,
    url: `http://127.0.0.1:${ready.port}`,
    pid,
    async prepare(count) {
      const answer = next("prepared", "prepare");
      child.send({ type: "prepare", count });
      return (await answer).credentials;
    },
    async cpu() {
      const answer = next("cpu", "cpu");
      child.send({ type: "cpu" });
      return (await answer).micros;
    },
    async usage() {
      const answer = next("cpu", "cpu");
      child.send({ type: "cpu" });
      const { micros, storeWrites } = await answer;
      return { micros, storeWrites };
    },
    async allocated(during) {
      const started = next("alloc", "alloc-start");
      child.send({ type: "alloc-start" });
      await started;
      await during();
      const stopped = next("alloc", "alloc-stop");
      child.send({ type: "alloc-stop" });
      return (await stopped).bytes;
    },
    async clock() {
      const answer = next("clock", "clock");
      child.send({ type: "clock" });
      return (await answer).micros;
    },
    stop,
  };
}
