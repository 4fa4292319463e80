/**
 * The built site as files: its pages, a link checker over their HTML, and a static server with
 * VitePress's clean URLs (`/guide/express` is `guide/express.html`), for the browser test.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, relative } from "node:path";

/** Every HTML file of `dist`, as site paths (`/`, `/guide/express`, ...), 404 page excluded. */
export function sitePages(dist: string): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".html") && name !== "404.html") {
        const page = `/${relative(dist, path)}`
          .replace(/\.html$/, "")
          .replace(/(^|\/)index$/, "$1");
        pages.push(page === "" ? "/" : page);
      }
    }
  };
  walk(dist);
  return pages.sort();
}

/** The file a site path is served from, or null. */
export function fileFor(dist: string, sitePath: string): string | null {
  const path = decodeURIComponent(sitePath.split(/[?#]/)[0]!);
  const candidates = path.endsWith("/")
    ? [join(dist, path, "index.html")]
    : [join(dist, path), join(dist, `${path}.html`), join(dist, path, "index.html")];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile()) ?? null;
}

const ids = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let found = ids.get(file);
  if (!found) {
    found = new Set([...readFileSync(file, "utf8").matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
    ids.set(file, found);
  }
  return found;
}

export interface BrokenLink {
  page: string;
  href: string;
  why: string;
}

/**
 * Every internal link (`href`, `src`) of every built page that leads nowhere: a path with no file,
 * or a `#fragment` with no element of that id on the target page. External links are not
 * fetched (the machine has no network beyond the package registries).
 */
export function brokenLinks(dist: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const page of sitePages(dist)) {
    const file = fileFor(dist, page)!;
    const html = readFileSync(file, "utf8");
    for (const [, attribute, raw] of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
      const href = raw!.replace(/&amp;/g, "&");
      if (/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(href) || href === "") continue; // external, mailto:
      const url = new URL(href, `http://site${page.endsWith("/") ? page : `${page}`}`);
      if (attribute === "href" && href.startsWith("#") && url.hash === "#") continue;
      const target = fileFor(dist, url.pathname);
      if (!target) {
        broken.push({ page, href, why: "no such page or file" });
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (fragment && extname(target) === ".html" && !idsOf(target).has(fragment)) {
        broken.push({ page, href, why: `no element with id "${fragment}"` });
      }
    }
  }
  return broken;
}

/** Serves `dist` on a free loopback port, with clean URLs and the 404 page. */
export async function serveSite(dist: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".json": "application/json",
  };
  const server = createServer((request, response) => {
    const file = fileFor(dist, new URL(request.url ?? "/", "http://site").pathname);
    const status = file ? 200 : 404;
    const body = readFileSync(file ?? join(dist, "404.html"));
    response.writeHead(status, {
      "content-type": types[extname(file ?? ".html")] ?? "application/octet-stream",
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
