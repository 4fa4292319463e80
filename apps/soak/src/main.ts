/**
 * `pnpm soak [--duration <seconds>] [--seed <n>] [--out <dir>] [--stores a,b]`: runs every store
 * lane at once for the duration (default 600 s; env SOAK_DURATION, SOAK_SEED), prints the
 * figures, writes RESULTS.md and results.json to the output folder (default apps/soak), and exits
 * non-zero when a figure breaks its bound.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BACKENDS, type Backend } from "./backends.js";
import { type LaneFigures, renderResults, verdicts } from "./figures.js";
import { runLane } from "./lane.js";

const here = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: process.env.SOAK_DURATION ?? "600" },
    seed: { type: "string", default: process.env.SOAK_SEED ?? "20261201" },
    out: { type: "string", default: here },
    stores: { type: "string", default: Object.keys(BACKENDS).join(",") },
    users: { type: "string", default: "4" },
  },
});
const durationSeconds = Number(values.duration);
const seed = Number(values.seed);
if (!Number.isFinite(durationSeconds) || durationSeconds < 30) {
  console.error("--duration must be at least 30 seconds");
  process.exit(2);
}
const names = values.stores.split(",") as (keyof typeof BACKENDS)[];
for (const name of names) {
  if (!(name in BACKENDS)) {
    console.error(`unknown store ${name}; known: ${Object.keys(BACKENDS).join(", ")}`);
    process.exit(2);
  }
}

const startedAt = new Date().toISOString();
console.log(`soak: ${names.join(", ")} for ${durationSeconds} s, seed ${seed}`);
const backends: Backend[] = [];
let lanes: LaneFigures[] = [];
try {
  for (const name of names) backends.push(await BACKENDS[name]());
  console.log("soak: every store is up");
  lanes = await Promise.all(
    backends.map((backend, i) =>
      runLane(backend, {
        durationMs: durationSeconds * 1000,
        seed: seed + i,
        users: Number(values.users),
        log: (line) => console.log(line),
      }),
    ),
  );
} finally {
  await Promise.all(backends.map((backend) => backend.close().catch(() => {})));
}

const command = `pnpm soak --duration ${durationSeconds} --seed ${seed}`;
const results = renderResults(lanes, { durationSeconds, seed, startedAt, command });
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "RESULTS.md"), results);
writeFileSync(
  join(out, "results.json"),
  `${JSON.stringify({ startedAt, durationSeconds, seed, verdicts: verdicts(lanes), lanes }, null, 2)}\n`,
);
console.log(`\n${results}`);
const broken = verdicts(lanes).filter((v) => !v.held);
if (broken.length > 0) {
  console.error(`soak: ${broken.length} figure(s) broke their bound`);
  process.exit(1);
}
// Store clients may keep timers alive a moment longer; the run is over.
process.exit(0);
