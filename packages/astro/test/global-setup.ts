/**
 * Builds the reference app (test/app) and the README's app once per test run, side by side
 * (`astro build`, @astrojs/node in standalone mode), and serves each with
 * `node dist/server/entry.mjs`, the production server, for every test file.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type BuiltApp, buildApp, startBuiltApp } from "@tessera/test-kit";
import type { TestProject } from "vitest/node";
import { writeReadmeApp } from "./readme-app.js";

declare module "vitest" {
  export interface ProvidedContext {
    appUrl: string;
    readmeUrl: string;
  }
}

const appDir = fileURLToPath(new URL("./app", import.meta.url));
const astro = createRequire(import.meta.url)
  .resolve("astro/package.json")
  .replace(/package\.json$/, "astro.js");
const running: BuiltApp[] = [];

export async function setup(project: TestProject) {
  const readmeDir = writeReadmeApp();
  await Promise.all([buildApp(appDir, [astro, "build"]), buildApp(readmeDir, [astro, "build"])]);
  const [app, readme] = await Promise.all([
    startBuiltApp({ cwd: appDir, args: ["dist/server/entry.mjs"], readyPath: "/public" }),
    startBuiltApp({ cwd: readmeDir, args: ["dist/server/entry.mjs"], readyPath: "/me" }),
  ]);
  running.push(app, readme);
  project.provide("appUrl", app.url);
  project.provide("readmeUrl", readme.url);
}

export async function teardown() {
  await Promise.all(running.map((app) => app.stop()));
}
