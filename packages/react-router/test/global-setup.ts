/**
 * Builds the reference app (test/app) and the README's app once per test run, side by side
 * (`react-router build`), and serves each with `react-router-serve build/server/index.js`,
 * the production server, for every test file.
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
const require = createRequire(import.meta.url);
const bin = (name: string, file: string) =>
  require.resolve(`${name}/package.json`).replace(/package\.json$/, file);
const build = bin("@react-router/dev", "bin.js");
const serve = bin("@react-router/serve", "bin.js");
const running: BuiltApp[] = [];

export async function setup(project: TestProject) {
  const readmeDir = writeReadmeApp();
  await Promise.all([buildApp(appDir, [build, "build"]), buildApp(readmeDir, [build, "build"])]);
  const [app, readme] = await Promise.all([
    startBuiltApp({ cwd: appDir, args: [serve, "build/server/index.js"], readyPath: "/public" }),
    startBuiltApp({ cwd: readmeDir, args: [serve, "build/server/index.js"], readyPath: "/me" }),
  ]);
  running.push(app, readme);
  project.provide("appUrl", app.url);
  project.provide("readmeUrl", readme.url);
}

export async function teardown() {
  await Promise.all(running.map((app) => app.stop()));
}
