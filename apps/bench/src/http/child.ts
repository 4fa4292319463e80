/**
 * Runs one contender's server in this process (started by the harness with `fork`). Protocol
 * over IPC: the child sends `{ type: "ready", port }`; the parent sends `{ type: "prepare",
 * count }` and gets `{ type: "prepared", credentials }`, `{ type: "cpu" }` and gets the CPU time
 * this process has used so far, `{ type: "clock" }` and gets its monotonic clock in µs, or
 * `{ type: "stop" }`.
 */
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import type { BenchContext, ContenderModule, Credential } from "./contender.js";

type ParentMessage =
  | { type: "prepare"; count: number }
  | { type: "cpu" }
  | { type: "clock" }
  | { type: "stop" };

function send(message: unknown): void {
  process.send?.(message);
}

const file = process.env.BENCH_CONTENDER_FILE;
const contextJson = process.env.BENCH_CONTEXT;
if (!file || !contextJson || !process.send) {
  throw new Error("child.ts is started by the bench harness (fork with IPC), not by hand");
}
const context = JSON.parse(contextJson) as BenchContext;
const loaded = (await import(pathToFileURL(file).href)) as { default: ContenderModule };
const running = await loaded.default.start(context);
const server = createServer(running.app);
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
const selfUrl = `http://127.0.0.1:${port}`;

async function stop(code: number): Promise<never> {
  server.closeAllConnections();
  server.close();
  await running.close?.().catch(() => {});
  process.exit(code);
}

process.on("disconnect", () => void stop(0));
process.on("message", (message: ParentMessage) => {
  if (message.type === "stop") void stop(0);
  if (message.type === "cpu") {
    const usage = process.cpuUsage();
    send({ type: "cpu", micros: usage.user + usage.system });
  }
  if (message.type === "clock") {
    send({ type: "clock", micros: Number(process.hrtime.bigint() / 1000n) });
  }
  if (message.type === "prepare") {
    (async () => {
      const credentials: Credential[] = [];
      for (let i = 0; i < message.count; i++) credentials.push(await running.prepare(selfUrl));
      send({ type: "prepared", credentials });
    })().catch((error: unknown) => {
      send({ type: "error", message: error instanceof Error ? error.stack : String(error) });
    });
  }
});
send({ type: "ready", port });
