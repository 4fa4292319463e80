/**
 * The timing loop of the SQL stores' `scripts/get-bench.mjs` (Postgres, MySQL, SQLite): plain
 * JavaScript, so each script runs with `node` after a build, no TypeScript loader. Each script
 * sets up its database, then hands `compareStores` its store, an optional second build of it
 * (COMPARE_MODULE) and the raw read it is measured against.
 */
import { createSessions } from "@tessera/core";

/** Calls per series (env RUNS, default 20,000). */
export const RUNS = Number(process.env.RUNS || 20_000);
const BLOCKS = 20;

/**
 * Times each series in 20 blocks of `RUNS / 20` calls, after 2,000 warm-up calls each, the series
 * taking turns block by block (in reverse order every other block), so that a machine busy for a
 * while skews every series alike; prints per series the median and the lowest CPU per call (this
 * process's user + system time) over the blocks, and the median wall-clock per call.
 */
export async function measure(series) {
  const size = Math.max(1, Math.floor(RUNS / BLOCKS));
  const labels = Object.keys(series);
  const cpu = Object.fromEntries(labels.map((label) => [label, []]));
  const wall = Object.fromEntries(labels.map((label) => [label, []]));
  for (const label of labels) for (let i = 0; i < 2_000; i++) await series[label]();
  for (let block = 0; block < BLOCKS; block++) {
    for (const label of block % 2 === 0 ? labels : [...labels].reverse()) {
      const call = series[label];
      const start = process.hrtime.bigint();
      const before = process.cpuUsage();
      for (let i = 0; i < size; i++) await call();
      const used = process.cpuUsage(before);
      wall[label].push(Number(process.hrtime.bigint() - start) / 1000 / size);
      cpu[label].push((used.user + used.system) / size);
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const µs = (value) => value.toFixed(1).padStart(7);
  for (const label of labels) {
    console.log(
      `${label.padEnd(40)} CPU median ${µs(median(cpu[label]))} min ${µs(Math.min(...cpu[label]))} µs/call   wall median ${µs(median(wall[label]))} µs/call`,
    );
  }
  console.log(`(${BLOCKS} blocks of ${size} calls per series)`);
}

/**
 * The store class to time, `exportName` of STORE_MODULE (default `defaultModule`, the built
 * package), and the same class of COMPARE_MODULE (a second build, e.g. the previous version's
 * dist) when set; prints which modules they came from. `load` is the script's own `import`, so
 * the modules resolve from its package.
 */
export async function loadStores(load, defaultModule, exportName) {
  const module = process.env.STORE_MODULE || defaultModule;
  const Store = (await load(module))[exportName];
  console.log(`store: ${module}`);
  const other = process.env.COMPARE_MODULE;
  if (!other) return { Store, Compared: undefined };
  console.log(`compared: ${other}`);
  return { Store, Compared: (await load(other))[exportName] };
}

/**
 * Creates one session in `store` (a browser's client facts, a little data) and times the raw
 * read next to `store.get` and `store.getWithEpochs`, and the same two on `compared` when given.
 * `name` labels the store's series (`PostgresStore`); `raw` is `[label, call(id)]`; `extra` adds
 * series of the script's own (`{ label: call(id) }`).
 */
export async function compareStores({ name, store, compared, raw, extra = {} }) {
  const { session } = await createSessions({ store }).create({
    userId: "bench-user",
    data: { theme: "dark", locale: "en" },
    client: {
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    },
  });
  const id = session.id;
  for (const reader of [store, compared].filter(Boolean)) {
    if ((await reader.getWithEpochs(id))?.record.id !== id) {
      throw new Error("the store found no session");
    }
  }
  const series = {
    [raw[0]]: () => raw[1](id),
    [`${name}.get`]: () => store.get(id),
    [`${name}.getWithEpochs`]: () => store.getWithEpochs(id),
  };
  if (compared) {
    series[`compared: ${name}.get`] = () => compared.get(id);
    series[`compared: ${name}.getWithEpochs`] = () => compared.getWithEpochs(id);
  }
  for (const [label, call] of Object.entries(extra)) series[label] = () => call(id);
  await measure(series);
}
