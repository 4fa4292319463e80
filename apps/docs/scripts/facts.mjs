/**
 * The facts the pages state, read from where they are true: the benchmark's latest run
 * (apps/bench/RESULTS.md), the packages' manifests (which stores, which integrations, the
 * version) and core itself (the cookie a login sets). A page writes `<!-- fact:NAME -->` where a
 * fact goes; the site's markdown renderer (and, for the home page's front matter,
 * `transformPageData`) puts the value there at every build, so no page can keep a stale figure.
 *
 * `node scripts/facts.mjs` prints them all.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSessions, MemoryStore } from "@tessera/core";

export const docsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const rootDir = join(docsDir, "..", "..");

/** The markdown tables under `## heading` (or `### heading`) of a document, rows keyed by header. */
export function tablesUnder(markdown, heading) {
  const start = markdown.search(new RegExp(`^#{2,3} ${heading.replace(/[()]/g, "\\$&")}`, "m"));
  if (start === -1) throw new Error(`RESULTS.md has no section "${heading}"`);
  const rest = markdown.slice(start).split("\n").slice(1);
  const end = rest.findIndex((line) => /^#{2,3} /.test(line));
  const lines = (end === -1 ? rest : rest.slice(0, end)).filter((line) => line.startsWith("|"));
  const separator = /^\|(\s*:?-+:?\s*\|)+$/;
  const tables = [];
  for (let i = 0; i < lines.length; i++) {
    if (i + 1 < lines.length && separator.test(lines[i + 1])) {
      tables.push({ header: cells(lines[i]), rows: [], cells: [] });
      i++;
    } else if (tables.length > 0) {
      const table = tables.at(-1);
      const row = cells(lines[i]);
      // `cells` keeps the row by position: a table whose headers are empty (the machine's) or
      // repeated cannot be read by name.
      table.cells.push(row);
      table.rows.push(Object.fromEntries(table.header.map((name, j) => [name, row[j]])));
    }
  }
  return tables;
}

function cells(line) {
  return line
    .slice(1, -1)
    .split("|")
    .map((cell) => cell.trim());
}

export function readResults() {
  return readFileSync(join(rootDir, "apps", "bench", "RESULTS.md"), "utf8");
}

/** `**0.77** (0.63–0.82)` → `0.77`; `10,647 (9,167–11,696)` → `10,647`. */
const median = (cell) => {
  const value = cell?.replace(/\*\*/g, "").split(" ")[0];
  if (!value) throw new Error(`RESULTS.md: an expected figure is missing (${cell})`);
  return value;
};

/** The machine the benchmark ran on, as `label value` pairs from its two-column table. */
export function machine(results) {
  const [table] = tablesUnder(results, "Machine");
  if (!table) throw new Error("RESULTS.md has no machine table");
  return table.cells
    .filter(([label]) => label && !label.startsWith("load"))
    .map(([label, value]) => ({ label, value }));
}

/**
 * Short names for the lists, and the guide page of each integration or store. Which packages are
 * stores or integrations is read from their manifests; this only names them (a package missing
 * here is listed under its description's words, and the site test asks for its page).
 */
const NAMES = {
  redis: ["Redis (and Cluster)", "/stores/redis"],
  postgres: ["PostgreSQL", "/stores/postgres"],
  mysql: ["MySQL and MariaDB", "/stores/mysql"],
  sqlite: ["SQLite", "/stores/sqlite"],
  dynamodb: ["DynamoDB", "/stores/dynamodb"],
  cloudflare: ["Cloudflare Durable Objects", "/stores/cloudflare"],
  express: ["Express", "/guide/express"],
  hono: ["Hono", "/guide/hono"],
  fastify: ["Fastify", "/guide/fastify"],
  next: ["Next.js", "/guide/nextjs"],
  sveltekit: ["SvelteKit", "/guide/sveltekit"],
  astro: ["Astro", "/guide/astro"],
  h3: ["Nuxt/h3", "/guide/nuxt"],
  "react-router": ["React Router", "/guide/react-router"],
  koa: ["Koa", "/guide/koa"],
  elysia: ["Elysia", "/guide/elysia"],
};
const ORDER = Object.keys(NAMES);

/** The published packages, each with its kind read from its description. */
export function packages() {
  const list = [];
  for (const dir of readdirSync(join(rootDir, "packages")).sort()) {
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(join(rootDir, "packages", dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (pkg.private) continue;
    const description = pkg.description ?? "";
    const integration = /^Tessera sessions for (.+?):/.exec(description)?.[1];
    const store =
      /^(.+?) session store for Tessera\b/.exec(description)?.[1] ??
      /^Tessera session store on (?:Amazon )?(.+?):/.exec(description)?.[1];
    list.push({
      dir,
      name: pkg.name,
      version: pkg.version,
      description,
      kind: integration ? "integration" : store ? "store" : "other",
      label: NAMES[dir]?.[0] ?? integration ?? store ?? pkg.name,
      supports: integration ?? store ?? "",
      page: NAMES[dir]?.[1] ?? `/${integration ? "guide" : "stores"}/${dir}`,
    });
  }
  const rank = (p) => (ORDER.includes(p.dir) ? ORDER.indexOf(p.dir) : ORDER.length);
  return list.sort((a, b) => rank(a) - rank(b));
}

/**
 * The git tag the API reference's "Defined in" links point at: `TESSERA_RELEASE_TAG`, else
 * `@tessera/core@<version>`, the tag `changeset publish` (the release workflow) pushes for core;
 * every package has the same version (`fixed` in .changeset/config.json).
 */
export function releaseTag() {
  if (process.env.TESSERA_RELEASE_TAG) return process.env.TESSERA_RELEASE_TAG;
  const core = JSON.parse(readFileSync(join(rootDir, "packages", "core", "package.json"), "utf8"));
  return `${core.name}@${core.version}`;
}

/** "a, b and c". */
const and = (items) =>
  items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

/** A markdown table. */
const table = (header, rows) =>
  [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");

/** Every fact by name, as the text that replaces its marker. */
export function facts(results = readResults()) {
  const [http] = tablesUnder(results, "HTTP: throughput of an authenticated route");
  const [limits] = tablesUnder(results, "Against the raw read of the same store");
  const [footprint] = tablesUnder(results, "Footprint");
  const [credential] = tablesUnder(
    results,
    "Credential check per request (CPU only, zero-latency store)",
  );
  const [scale] = tablesUnder(results, "Scale");
  const produced = /Produced by `pnpm bench` on (\d{4}-\d{2}-\d{2})/.exec(results)?.[1];
  if (!produced || !http || !limits || !footprint || !credential || !scale) {
    throw new Error("RESULTS.md does not have the expected sections and tables");
  }
  const row = (table, contender) => {
    const found = table.rows.find((r) => r.contender === `\`${contender}\``);
    if (!found) throw new Error(`RESULTS.md: no row for ${contender}`);
    return found;
  };
  const ratio = (r) => median(r["ratio to bare"] ?? r["ratio to its framework's bare"]);
  const limit = (contender) => median(row(limits, contender)["ratio to limit (target ≥ 0.9)"]);
  const stored = (contender) => row(footprint, contender)["stored B"];
  const largest = scale.rows.at(-1);
  const validate = credential.rows.find((r) => r.task.startsWith("Tessera validate (fixed"));

  const all = packages();
  const core = all.find((p) => p.name === "@tessera/core");
  const stores = all.filter((p) => p.kind === "store");
  const integrations = all.filter((p) => p.kind === "integration");

  // The cookie a login sets with the default options, from core itself.
  const sessions = createSessions({ store: new MemoryStore() });
  const cookieName = sessions.cookie.serialize("x", Date.now() + 60_000).split("=")[0];

  return {
    "bench-date": produced,
    version: core.version,
    "release-tag": releaseTag(),
    "store-list": and(stores.map((p) => p.label)),
    "store-count": String(stores.length),
    "integration-list": and(integrations.map((p) => p.label)),
    "integration-table": table(
      ["framework", "package", "guide"],
      integrations.map((p) => [p.supports, `\`${p.name}\``, `[${p.label}](${p.page})`]),
    ),
    "store-table": table(
      ["store", "package", "page"],
      stores.map((p) => [p.supports, `\`${p.name}\``, `[${p.label}](${p.page})`]),
    ),
    "integration-count": String(integrations.length),
    "cookie-name": cookieName,
    "token-bytes": String(SAMPLE_TOKEN.length),
    "cookie-bytes": String(cookieName.length + 1 + SAMPLE_TOKEN.length),
    machine: machine(results)
      .map(({ label, value }) => `${label} ${value}`)
      .join(", "),
    "redis-bytes-per-session": largest["B / session"],
    "redis-sessions-measured": largest["stored sessions"],
    "redis-validates-per-second": largest["validates/s"],
    "redis-key-bytes": stored("tessera-express-redis"),
    "postgres-row-bytes": stored("tessera-express-postgres"),
    "dynamodb-item-bytes": stored("tessera-express-dynamodb"),
    "redis-ratio-to-bare": ratio(row(http, "tessera-express-redis")),
    "postgres-ratio-to-bare": ratio(row(http, "tessera-express-postgres")),
    "dynamodb-ratio-to-bare": ratio(row(http, "tessera-express-dynamodb")),
    "redis-ratio-to-raw-read": limit("tessera-express-redis"),
    "postgres-ratio-to-raw-read": limit("tessera-express-postgres"),
    "dynamodb-ratio-to-raw-read": limit("tessera-express-dynamodb"),
    "redis-cpu-per-request": row(http, "tessera-express-redis")["server CPU µs / req"],
    "postgres-cpu-per-request": row(http, "tessera-express-postgres")["server CPU µs / req"],
    "dynamodb-cpu-per-request": row(http, "tessera-express-dynamodb")["server CPU µs / req"],
    "mysql-ratio-to-bare": ratio(row(http, "tessera-express-mysql")),
    "sqlite-ratio-to-bare": ratio(row(http, "tessera-express-sqlite")),
    "mysql-ratio-to-raw-read": limit("tessera-express-mysql"),
    "sqlite-ratio-to-raw-read": limit("tessera-express-sqlite"),
    "mysql-cpu-per-request": row(http, "tessera-express-mysql")["server CPU µs / req"],
    "sqlite-cpu-per-request": row(http, "tessera-express-sqlite")["server CPU µs / req"],
    "validate-cpu": validate["CPU / op"],
  };
}

/** A token as a login makes it, with core's defaults (every token has the same length). */
const SAMPLE_TOKEN = (
  await createSessions({ store: new MemoryStore() }).create({ userId: "facts" })
).token;

const MARKER = /<!-- fact:([\w-]+) -->/g;

/** Replaces every `<!-- fact:NAME -->` in `text`; an unknown name is an error. */
export function injectFacts(text, known = facts()) {
  return text.replace(MARKER, (_, name) => {
    if (!(name in known))
      throw new Error(`unknown fact "${name}" (see apps/docs/scripts/facts.mjs)`);
    return known[name];
  });
}

/** The names of the markers in `text`. */
export function markersIn(text) {
  return [...text.matchAll(MARKER)].map((m) => m[1]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(facts());
}
