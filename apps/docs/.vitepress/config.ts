import { existsSync, readFileSync } from "node:fs";
import { type DefaultTheme, defineConfig } from "vitepress";
// @ts-expect-error: a plain .mjs script of the repository
import { REPOSITORY } from "../../../scripts/package-metadata.mjs";
// @ts-expect-error: a plain .mjs script, typed by use
import { facts, injectFacts } from "../scripts/facts.mjs";
import { diagrams } from "./diagrams";
import { tables } from "./tables";

/** The facts read from the bench and the packages (scripts/facts.mjs), once per build. */
const known: Record<string, string> = facts();

/** Replaces the `<!-- fact:NAME -->` markers in every string of the front matter. */
function injectIntoFrontmatter(value: unknown): unknown {
  if (typeof value === "string") return injectFacts(value, known);
  if (Array.isArray(value)) return value.map(injectIntoFrontmatter);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, injectIntoFrontmatter(item)]),
    );
  }
  return value;
}

/**
 * The API reference's sidebar: one entry per module (`@tessera/core`, `@tessera/core/http`, ...),
 * from the sidebar TypeDoc writes (scripts/generate.mjs). Each module's page lists its members;
 * listing every member here would repeat hundreds of links on every page.
 */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = new URL("../api/typedoc-sidebar.json", import.meta.url);
  if (!existsSync(file)) return [];
  const modules: DefaultTheme.SidebarItem[] = [];
  const visit = (items: DefaultTheme.SidebarItem[]) => {
    for (const item of items) {
      if (item.text?.startsWith("@tessera/") && item.link) {
        modules.push({ text: item.text, link: item.link.replace(/\.md$/, "") });
      }
      if (item.items) visit(item.items);
    }
  };
  visit(JSON.parse(readFileSync(file, "utf8")));
  return modules;
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: "Getting started",
    items: [
      { text: "Introduction", link: "/guide/" },
      { text: "Express", link: "/guide/express" },
      { text: "Hono", link: "/guide/hono" },
      { text: "Fastify", link: "/guide/fastify" },
      { text: "Koa", link: "/guide/koa" },
      { text: "Nuxt and h3", link: "/guide/nuxt" },
      { text: "Elysia", link: "/guide/elysia" },
      { text: "Next.js", link: "/guide/nextjs" },
      { text: "SvelteKit", link: "/guide/sveltekit" },
      { text: "Astro", link: "/guide/astro" },
      { text: "React Router", link: "/guide/react-router" },
      { text: "Bun, Deno and Workers", link: "/guide/runtimes" },
    ],
  },
  {
    text: "Stores",
    items: [
      { text: "Choosing a store", link: "/stores/" },
      { text: "Redis", link: "/stores/redis" },
      { text: "PostgreSQL", link: "/stores/postgres" },
      { text: "MySQL and MariaDB", link: "/stores/mysql" },
      { text: "SQLite", link: "/stores/sqlite" },
      { text: "DynamoDB", link: "/stores/dynamodb" },
      { text: "Cloudflare Durable Objects", link: "/stores/cloudflare" },
    ],
  },
  {
    text: "Concepts",
    items: [
      { text: "The session lifecycle", link: "/concepts/" },
      { text: "Tokens and storage", link: "/concepts/tokens" },
      { text: "Rotation and grace", link: "/concepts/rotation" },
      { text: "Reuse detection", link: "/concepts/reuse-detection" },
      { text: "Binding", link: "/concepts/binding" },
      { text: "Idle and absolute timeouts", link: "/concepts/timeouts" },
      { text: "Freshness and step-up", link: "/concepts/freshness" },
      { text: "Revocation", link: "/concepts/revocation" },
      { text: "Session policies", link: "/concepts/policies" },
      { text: "Access tokens", link: "/concepts/access-tokens" },
      { text: "Device-bound sessions (DBSC)", link: "/concepts/device-bound-sessions" },
    ],
  },
  {
    text: "Security",
    items: [
      { text: "Threat model", link: "/security/threat-model" },
      { text: "OWASP ASVS 5.0 V7", link: "/security/asvs" },
    ],
  },
  {
    text: "In production",
    items: [
      { text: "Redis and Redis Cluster", link: "/production/redis" },
      { text: "DynamoDB", link: "/production/dynamodb" },
      { text: "PostgreSQL", link: "/production/postgres" },
      { text: "MySQL and MariaDB", link: "/production/mysql" },
      { text: "SQLite", link: "/production/sqlite" },
      { text: "Releasing the packages", link: "/production/release" },
    ],
  },
  {
    text: "Migrating",
    items: [
      { text: "From Lucia v3", link: "/migrate/lucia-v3" },
      { text: "From express-session", link: "/migrate/express-session" },
      { text: "From Auth.js", link: "/migrate/authjs" },
      { text: "From better-auth", link: "/migrate/better-auth" },
    ],
  },
  { text: "Comparison", link: "/comparison" },
];

export default defineConfig({
  title: "Tessera",
  description:
    "Server-side sessions for TypeScript: opaque rotating tokens, theft detection, binding, timeouts, instant revocation.",
  cleanUrls: true,
  outDir: "dist",
  srcExclude: ["README.md", "dist/**", "test/**", "scripts/**", ".tmp/**"],
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  markdown: {
    config: (md) => {
      // Before anything else reads the source: a fact can be a whole table.
      md.core.ruler.before("normalize", "facts", (state) => {
        state.src = injectFacts(state.src, known);
      });
      md.use(diagrams);
      md.use(tables);
    },
  },
  transformPageData(pageData) {
    pageData.frontmatter = injectIntoFrontmatter(
      pageData.frontmatter,
    ) as typeof pageData.frontmatter;
    pageData.title = injectFacts(pageData.title, known);
    pageData.description = injectFacts(pageData.description, known);
  },
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/" },
      { text: "Concepts", link: "/concepts/" },
      { text: "Security", link: "/security/threat-model" },
      { text: "Comparison", link: "/comparison" },
      { text: "API", link: "/api/" },
    ],
    sidebar: {
      "/api/": [{ text: "API reference", link: "/api/" }, ...apiSidebar()],
      "/": guide,
    },
    search: { provider: "local" },
    outline: [2, 3],
    socialLinks: [{ icon: "github", link: REPOSITORY }],
    editLink: { pattern: `${REPOSITORY}/edit/main/apps/docs/:path` },
    footer: { message: "Released under the MIT License." },
  },
});
