/**
 * The built site (`vitepress build` → dist/), as a reader gets it: every internal link and anchor
 * resolves, every page renders in Chromium (Debian's, driven by playwright-core) without an error,
 * a failed request or a hydration mismatch, the search box finds "revokeAll", diagrams are drawn,
 * and the generated pages carry what they are generated from.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: see above
import { REPOSITORY } from "../../../scripts/package-metadata.mjs";
// @ts-expect-error: a plain .mjs script, typed by use
import { releaseTag } from "../scripts/facts.mjs";
// @ts-expect-error: a plain .mjs script, typed by use
import { apiEntries, tablesUnder } from "../scripts/generate.mjs";
import { brokenLinks, serveSite, sitePages } from "./links.js";
import { docsDir } from "./pages.js";

const dist = join(docsDir, "dist");
const shots = join(docsDir, ".tmp", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium package`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING the docs' browser tests: ${message} !!!\n`);
}

describe("the built site", () => {
  it("exists: run the package's build first", () => {
    expect(existsSync(join(dist, "index.html")), "build @tessera/docs first").toBe(true);
  });

  it("has no broken internal link or anchor on any page", () => {
    expect(sitePages(dist).length).toBeGreaterThan(35);
    expect(brokenLinks(dist)).toEqual([]);
  });

  it("documents every entry of every published package in the API reference", () => {
    for (const { name } of apiEntries() as { name: string }[]) {
      expect(existsSync(join(dist, "api", `${name}.html`)), name).toBe(true);
    }
  });

  it("links each API entry to a source file and line that exist, at the release's tag", () => {
    const repo = join(docsDir, "..", "..");
    const prefix = `${REPOSITORY}/blob/${releaseTag()}/`;
    for (const { name } of apiEntries() as { name: string }[]) {
      const html = readFileSync(join(dist, "api", `${name}.html`), "utf8");
      expect(html, name).not.toContain(`${REPOSITORY}/blob/main/packages/`);
    }
    let links = 0;
    for (const { name } of apiEntries() as { name: string }[]) {
      const html = readFileSync(join(dist, "api", `${name}.html`), "utf8");
      for (const [, path, line] of html.matchAll(new RegExp(`${prefix}([^"#]+)#L(\\d+)`, "g"))) {
        const file = join(repo, path!);
        expect(existsSync(file), path).toBe(true);
        expect(readFileSync(file, "utf8").split("\n").length, path).toBeGreaterThanOrEqual(
          Number(line),
        );
        links++;
      }
    }
    expect(links).toBeGreaterThan(100);
  });

  it("shows the latest benchmark figures on the comparison page", () => {
    const results = readFileSync(join(docsDir, "../bench/RESULTS.md"), "utf8");
    const [http] = tablesUnder(results, "HTTP: throughput of an authenticated route");
    const html = readFileSync(join(dist, "comparison.html"), "utf8");
    // The page compares on Express, where every peer runs; Hono and Fastify rows stay in the bench.
    const onExpress = (http.rows as Record<string, string>[]).filter(
      (row) => !/^`(tessera-)?(hono|fastify)-/.test(row.contender!),
    );
    expect(onExpress.length).toBeGreaterThan(10);
    for (const row of onExpress) {
      const ratio = (row["ratio to bare"] ?? row["ratio to its framework's bare"]!).replace(
        /\*\*/g,
        "",
      );
      expect(html, row.contender).toContain(ratio.split(" ")[0]);
      expect(html).toContain(row.contender!.replace(/`/g, ""));
    }
  });
});

describe("the link checker", () => {
  it("reports a link to a missing page and to a missing anchor, and nothing else", () => {
    const fake = mkdtempSync(join(tmpdir(), "tessera-links-"));
    try {
      mkdirSync(join(fake, "guide"));
      writeFileSync(join(fake, "404.html"), "<h1>Not found</h1>");
      writeFileSync(
        join(fake, "index.html"),
        '<a href="/guide/express">ok</a> <a href="/guide/express#setup">ok</a> ' +
          '<a href="/guide/missing">bad</a> <a href="./guide/express#nowhere">bad</a> ' +
          '<a href="https://example.com/x">external</a> <img src="/logo.svg">',
      );
      writeFileSync(join(fake, "guide", "express.html"), '<h2 id="setup">Setup</h2>');
      expect(brokenLinks(fake)).toEqual([
        { page: "/", href: "/guide/missing", why: "no such page or file" },
        { page: "/", href: "./guide/express#nowhere", why: 'no element with id "nowhere"' },
        { page: "/", href: "/logo.svg", why: "no such page or file" },
      ]);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });
});

describe.runIf(haveChromium)("the site in Chromium", () => {
  let browser: Browser;
  let site: { url: string; server: Server };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    site = await serveSite(dist);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.server.close(resolve));
  });

  /** Opens `path`, collecting console errors, page errors and failed or refused requests. */
  async function open(page: Page, path: string): Promise<string[]> {
    const problems: string[] = [];
    page.removeAllListeners();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => {
      // Prefetches of linked pages are cancelled when the tab moves on: not a failure.
      const why = request.failure()?.errorText ?? "";
      if (why !== "net::ERR_ABORTED") problems.push(`failed (${why}): ${request.url()}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
    });
    await page.goto(`${site.url}${path}`, { waitUntil: "load" });
    // Hydrated: the theme's client-side code ran (the appearance switch is interactive).
    await page.waitForSelector(".VPContent", { state: "visible" });
    return problems;
  }

  it("renders every page: a heading, content, no error, no failed request", async () => {
    const pages = sitePages(dist);
    const failures: string[] = [];
    const queue = [...pages];
    const context = await browser.newContext();
    // Four tabs at a time.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const page = await context.newPage();
        for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
          const problems = await open(page, path);
          const heading = await page
            .locator(path === "/" ? ".VPHero .name" : ".vp-doc h1")
            .first()
            .textContent();
          if (!heading?.trim()) problems.push("no heading");
          for (const problem of problems) failures.push(`${path}: ${problem}`);
        }
        await page.close();
      }),
    );
    await context.close();
    expect(failures).toEqual([]);
  }, 180_000);

  it("fits the guides, stores, migrations, API reference and comparison at 1280 and 390 px: no sideways scroll", async () => {
    // Screenshots of every page at both widths, for a reader to look at (the path is printed).
    const screenshots = mkdtempSync(join(tmpdir(), "tessera-docs-widths-"));
    const paths = sitePages(dist).filter((path) =>
      /^\/(guide|stores|migrate|production|api)\/|^\/comparison$/.test(path),
    );
    expect(paths).toEqual(expect.arrayContaining(["/comparison", "/api/", "/guide/express"]));
    const failures: string[] = [];
    // The server-rendered pages with their CSS, without running the theme's scripts: the layout
    // is the same (hydration does not change the markup, which the test above checks), and on a
    // busy machine a hundred page loads stay quick.
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      javaScriptEnabled: false,
    });
    const queue = [...paths];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        const page = await context.newPage();
        for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
          // One load per page, measured at the desktop width and then on a phone's.
          await page.setViewportSize({ width: 1280, height: 900 });
          await page.goto(`${site.url}${path}`, { waitUntil: "load" });
          for (const [width, height] of [
            [1280, 900],
            [390, 844],
          ] as const) {
            await page.setViewportSize({ width, height });
            const fit = await page.evaluate(() => ({
              page: document.documentElement.scrollWidth,
              width: window.innerWidth,
              // A table wider than its column scrolls inside itself: cut off all the same.
              tables: Array.from(document.querySelectorAll(".vp-doc table"))
                .filter((table) => table.scrollWidth > table.clientWidth + 1)
                .map((table) => `${table.scrollWidth} > ${table.clientWidth}`),
            }));
            const name = `${width}${path.replace(/\//g, "_") || "_"}.png`;
            // The first table in view (what this checks), transitions of the resize finished.
            await page.evaluate(() => document.querySelector(".vp-doc table")?.scrollIntoView());
            await page.screenshot({ path: join(screenshots, name), animations: "disabled" });
            if (fit.page > fit.width) {
              failures.push(`${path} at ${width} px: the page is ${fit.page} px wide`);
            }
            for (const table of fit.tables) {
              failures.push(`${path} at ${width} px: a table scrolls (${table})`);
            }
          }
        }
        await page.close();
      }),
    );
    await context.close();
    console.log(`screenshots at 1280 and 390 px: ${screenshots}`);
    expect(failures).toEqual([]);
  }, 300_000);

  it('finds "revokeAll" with the search box, and its first result opens a page that says it', async () => {
    const page = await browser.newPage();
    expect(await open(page, "/")).toEqual([]);
    await page.click(".VPNavBarSearch button");
    await page.fill("#localsearch-input", "revokeAll");
    const results = page.locator(".VPLocalSearchBox .results li");
    await results.first().waitFor();
    expect(await results.count()).toBeGreaterThan(3);
    await page.screenshot({ path: join(shots, "search.png") });
    await results.first().click();
    await page.waitForURL((url) => url.pathname !== "/");
    await expect.poll(() => page.locator(".vp-doc").textContent()).toContain("revokeAll");
    await page.close();
  });

  it("draws the concept diagrams with their labels, in light and dark mode", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    expect(await open(page, "/concepts/rotation")).toEqual([]);
    const diagrams = page.locator("figure.diagram svg");
    expect(await diagrams.count()).toBe(3);
    const box = await diagrams.first().boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(100);
    expect(await diagrams.first().locator("text").allTextContents()).toContain("Browser");
    await diagrams.first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "rotation-light.png") });
    await page.evaluate(() => document.documentElement.classList.add("dark"));
    await page.screenshot({ path: join(shots, "rotation-dark.png") });
    await page.close();
  });
});
