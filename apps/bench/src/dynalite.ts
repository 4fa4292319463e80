/**
 * The run's own dynalite (DynamoDB's API, in memory, by the makers of Architect): started by the
 * bench in a child process of its own on a free loopback port, so its CPU never shares an event
 * loop with the load generator or a contender, and stopped by PID. Nothing it holds outlives it.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A dynalite this process started. */
export interface Dynalite {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL("./dynalite-server.mjs", import.meta.url));

/** Starts dynalite and waits until it listens. */
export async function startDynalite(timeoutMs = 30_000): Promise<Dynalite> {
  const child = fork(SERVER, [], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start dynalite");
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If this process ends without calling stop() (an error, Ctrl-C), take dynalite with it.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
  };
  process.once("exit", onExit);
  const stop = async () => {
    process.off("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, "SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("dynalite did not start in time")),
        timeoutMs,
      );
      child.once("message", (message: { port?: number }) => {
        clearTimeout(timer);
        if (typeof message.port === "number") resolve(message.port);
        else reject(new Error(`dynalite: unexpected message ${JSON.stringify(message)}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`dynalite exited (${code}): ${errors}`));
      });
    });
    return { endpoint: `http://127.0.0.1:${port}`, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
