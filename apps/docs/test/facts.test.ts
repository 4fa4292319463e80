/**
 * The facts the pages state come from the bench, the packages and core (scripts/facts.mjs), never
 * from a hand that may be out of date: every marker names a fact and is replaced in the built
 * site, a figure a page writes by hand that RESULTS.md contradicts fails here, and every store and
 * integration package has its page.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, typed by use
import * as factsModule from "../scripts/facts.mjs";
import { docsDir } from "./pages.js";

const { facts, injectFacts, machine, markersIn, packages, readResults, tablesUnder } =
  factsModule as {
    facts: (results?: string) => Record<string, string>;
    injectFacts: (text: string, known?: Record<string, string>) => string;
    machine: (results: string) => { label: string; value: string }[];
    markersIn: (text: string) => string[];
    packages: () => { dir: string; name: string; kind: string; page: string }[];
    readResults: () => string;
    tablesUnder: (
      markdown: string,
      heading: string,
    ) => { header: string[]; rows: Record<string, string>[] }[];
  };

const results = readResults();
const known = facts(results);
const dist = join(docsDir, "dist");

/** The site's markdown pages, written by hand (the generated comparison and API left out). */
function handWrittenPages(): string[] {
  const pages: string[] = [];
  const skip = new Set(["node_modules", "dist", ".tmp", "api", "test", "scripts", ".vitepress"]);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!skip.has(name)) walk(path);
      } else if (name.endsWith(".md") && name !== "README.md" && name !== "comparison.md") {
        pages.push(relative(docsDir, path));
      }
    }
  };
  walk(docsDir);
  return pages.sort();
}

/** Prose only: fenced code blocks dropped (a program's output or input is not a claim). */
const prose = (markdown: string) => markdown.replace(/^```[\s\S]*?^```$/gm, "");

/** Every figure RESULTS.md gives for one quantity, as written there (`1,000`, `0.77`, `2.97`). */
const numbers = (values: (string | undefined)[]) =>
  new Set(values.filter(Boolean).map((v) => v!.replace(/\*\*/g, "").split(" ")[0]!));

const [footprint] = tablesUnder(results, "Footprint");
const [scale] = tablesUnder(results, "Scale");
const [http] = tablesUnder(results, "HTTP: throughput of an authenticated route");
const [credential] = tablesUnder(
  results,
  "Credential check per request (CPU only, zero-latency store)",
);
const tessera = footprint!.rows.filter((row) => row.contender!.startsWith("`tessera-"));

/**
 * Figures a page may state by hand only if RESULTS.md says the same; each rule finds a claim in
 * a sentence and the figures RESULTS.md allows for it.
 */
const rules: { what: string; claim: RegExp; allowed: Set<string> }[] = [
  {
    what: "Redis memory per session (the scale run's used_memory / sessions)",
    claim:
      /(?=[^.]*\bRedis\b)(?![^.]*MEMORY USAGE)[^.]*?(\d[\d,]*) ?(?:B|bytes)\b[^.]*\bper (?:Redis )?session/i,
    allowed: numbers(scale!.rows.map((row) => row["B / session"])),
  },
  {
    what: "a Redis session key's MEMORY USAGE",
    claim:
      /(\d[\d,]*) ?(?:B|bytes)\b[^.]*MEMORY USAGE|MEMORY USAGE[^.]*?\b(\d[\d,]*) ?(?:B|bytes)\b/,
    allowed: numbers(
      footprint!.rows
        .filter((row) => row["stored, measured as"] === "Redis MEMORY USAGE")
        .map((row) => row["stored B"]),
    ),
  },
  {
    what: "Tessera's cookie or token size",
    claim:
      /\bTessera's (\d+)\b|\b(\d+)-byte (?:session )?(?:cookie|token)\b|\bsession (?:cookie|token)[^.]*?\b(\d+) ?(?:bytes|B|characters)\b/,
    allowed: numbers(
      tessera.flatMap((row) => [row["cookie value B"], row["name=value B (per request)"]]),
    ),
  },
  {
    what: "Tessera's throughput as a ratio to bare Express",
    claim: /\b(0\.\d\d)\b[^.]*\bof (?:bare|the bare)\b/,
    allowed: numbers(http!.rows.map((row) => row["ratio to its framework's bare"])),
  },
  {
    what: "core's CPU per validate",
    claim: /validate[^.]*?\b(\d+\.\d+) ?µs/,
    allowed: numbers(credential!.rows.map((row) => row["CPU / op"])),
  },
];

/** The hand-stated figures of `markdown` that RESULTS.md contradicts. */
function contradictions(markdown: string): string[] {
  const found: string[] = [];
  const text = prose(markdown).replace(/\s+/g, " ");
  for (const sentence of text.split(/(?<=\.)\s+(?=[A-Z(*`[])/)) {
    for (const { what, claim, allowed } of rules) {
      const match = claim.exec(sentence);
      const figure = match?.slice(1).find(Boolean);
      if (figure && !allowed.has(figure)) {
        found.push(`${what}: "${figure}" where RESULTS.md says ${[...allowed].join(" / ")}`);
      }
    }
  }
  return found;
}

describe("facts", () => {
  it("are read from RESULTS.md, the packages and core", () => {
    expect(known["redis-bytes-per-session"]).toBe(scale!.rows.at(-1)!["B / session"]);
    expect(known["redis-sessions-measured"]).toBe(scale!.rows.at(-1)!["stored sessions"]);
    // The token core makes today is the size the bench measured in every Tessera row.
    for (const row of tessera) {
      expect(row["cookie value B"], row.contender).toBe(known["token-bytes"]);
      expect(row["name=value B (per request)"], row.contender).toBe(known["cookie-bytes"]);
    }
    const core = JSON.parse(
      readFileSync(join(docsDir, "../../packages/core/package.json"), "utf8"),
    );
    expect(known.version).toBe(core.version);
    expect(known["store-count"]).toBe("6");
    expect(known["integration-count"]).toBe("10");
  });

  it("list the machine as RESULTS.md's table has it, each line once", () => {
    const lines = machine(results);
    expect(lines.map((line) => line.label)).toEqual(
      expect.arrayContaining(["CPU", "cores", "memory", "Node"]),
    );
    for (const { label, value } of lines) {
      expect(known.machine).toContain(`${label} ${value}`);
      expect(value).not.toBe(label);
    }
    expect(known.machine).not.toMatch(/(\b\w[\w ]+), \1\b|(\b\S+ \S+) \2/);
  });

  it("every marker on every page names a known fact", () => {
    const unknown: string[] = [];
    let markers = 0;
    for (const page of handWrittenPages()) {
      for (const name of markersIn(readFileSync(join(docsDir, page), "utf8"))) {
        markers++;
        if (!(name in known)) unknown.push(`${page}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(markers).toBeGreaterThan(20);
    expect(() => injectFacts("<!-- fact:no-such-fact -->", known)).toThrow(/unknown fact/);
  });

  it("no page states a figure by hand that RESULTS.md contradicts", () => {
    const found: string[] = [];
    for (const page of handWrittenPages()) {
      const markdown = injectFacts(readFileSync(join(docsDir, page), "utf8"), known);
      for (const problem of contradictions(markdown)) found.push(`${page}: ${problem}`);
    }
    expect(found).toEqual([]);
  });

  it("the check catches a stale figure (the 280 B per Redis session the docs once gave)", () => {
    expect(contradictions("Each Redis session takes about 280 bytes per session.")).toHaveLength(1);
    expect(contradictions("In Redis, about 280 B per session, measured.")).toHaveLength(1);
    expect(contradictions("A Redis key takes 999 bytes (`MEMORY USAGE`).")).toHaveLength(1);
    expect(contradictions("against Tessera's 64-byte session cookie.")).toHaveLength(1);
    expect(contradictions("Tessera's 64, a JWT's 250.")).toHaveLength(1);
    expect(contradictions("a validate costs 9.99 µs of CPU.")).toHaveLength(1);
    const right = `In Redis, ${known["redis-bytes-per-session"]} bytes per session.`;
    expect(contradictions(right)).toEqual([]);
    expect(contradictions("```\n999 bytes per Redis session\n```")).toEqual([]);
  });

  it("every store and integration package has its page", () => {
    const all = packages();
    expect(all.filter((p) => p.kind === "store").map((p) => p.dir)).toEqual(
      expect.arrayContaining(["redis", "postgres", "sqlite", "mysql", "dynamodb", "cloudflare"]),
    );
    expect(all.filter((p) => p.kind === "integration").map((p) => p.dir)).toEqual(
      expect.arrayContaining([
        "express",
        "hono",
        "fastify",
        "next",
        "sveltekit",
        "astro",
        "h3",
        "react-router",
        "koa",
        "elysia",
      ]),
    );
    for (const p of all.filter((p) => p.kind !== "other")) {
      expect(existsSync(join(docsDir, `${p.page}.md`)), `${p.name}: ${p.page}.md`).toBe(true);
    }
  });
});

describe.runIf(existsSync(join(dist, "index.html")))("facts in the built site", () => {
  it("are in place of their markers, on every page that has them", () => {
    for (const page of handWrittenPages()) {
      const markdown = readFileSync(join(docsDir, page), "utf8");
      const names = markersIn(markdown);
      if (names.length === 0) continue;
      const html = readFileSync(join(dist, page.replace(/\.md$/, ".html")), "utf8");
      expect(html, page).not.toContain("fact:");
      for (const name of names) {
        const value = known[name]!;
        // Plain facts appear as written; lists and tables appear as their first cell's words.
        if (!/[|`[\n]/.test(value)) expect(html, `${page}: ${name}`).toContain(value);
      }
    }
  });

  it("the home page lists every store and integration package", () => {
    const html = readFileSync(join(dist, "index.html"), "utf8");
    expect(html).toContain(known["store-list"]);
    expect(html).toContain(known["integration-list"]);
    expect(known["store-list"]).toContain("Durable Objects");
  });
});
