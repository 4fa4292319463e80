/**
 * Runs one contender's server in this process (started by the harness with `fork`). Protocol
 * over IPC: the child sends `{ type: "ready", port }`; the parent sends `{ type: "prepare",
 * count }` and gets `{ type: "prepared", credentials }`, `{ type: "cpu" }` and gets the CPU time
 * this process has used so far (and the store writes, for a contender that counts them),
 * `{ type: "clock" }` and gets its monotonic clock in µs, `{ type: "alloc-start" }` /
 * `{ type: "alloc-stop" }` to sample this process's allocations in between (answered with
 * `{ type: "alloc", bytes }`), or `{ type: "stop" }`.
 */
import { createServer } from "node:http";
import { Session as InspectorSession } from "node:inspector/promises";
import { pathToFileURL } from "node:url";
import type { BenchContext, ContenderModule, Credential } from "./contender.js";

type ParentMessage =
  | { type: "prepare"; count: number }
  | { type: "cpu" }
  | { type: "clock" }
  | { type: "alloc-start" }
  | { type: "alloc-stop" }
  | { type: "stop" };

/**
 * Every allocation between start and stop, estimated by V8's sampling heap profiler: one
 * sample per `ALLOC_SAMPLING_BYTES` allocated on average, objects later collected by either GC
 * kept in the profile, each sample scaled by V8 to the bytes it stands for.
 */
const ALLOC_SAMPLING_BYTES = 1024;
let inspector: InspectorSession | null = null;

interface SamplingNode {
  selfSize: number;
  children: SamplingNode[];
}

function totalBytes(node: SamplingNode): number {
  let sum = node.selfSize;
  for (const child of node.children) sum += totalBytes(child);
  return sum;
}

async function allocStart(): Promise<void> {
  inspector ??= new InspectorSession();
  inspector.connect();
  await inspector.post("HeapProfiler.enable");
  await inspector.post("HeapProfiler.startSampling", {
    samplingInterval: ALLOC_SAMPLING_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}

async function allocStop(): Promise<number> {
  if (!inspector) throw new Error("alloc-stop without alloc-start");
  const { profile } = (await inspector.post("HeapProfiler.stopSampling")) as {
    profile: { head: SamplingNode };
  };
  await inspector.post("HeapProfiler.disable");
  inspector.disconnect();
  return totalBytes(profile.head);
}

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
    send({
      type: "cpu",
      micros: usage.user + usage.system,
      storeWrites: running.storeWrites?.() ?? null,
    });
  }
  if (message.type === "alloc-start") {
    allocStart().then(
      () => send({ type: "alloc", bytes: 0 }),
      (error: unknown) => send({ type: "error", message: String(error) }),
    );
  }
  if (message.type === "alloc-stop") {
    allocStop().then(
      (bytes) => send({ type: "alloc", bytes }),
      (error: unknown) => send({ type: "error", message: String(error) }),
    );
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
