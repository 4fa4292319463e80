/**
 * Builds the reference app (test/app) and the README's app once per test run, side by side
 * (`vite build`, adapter-node), and serves each with `node build/index.js`, the production
 * server, for every test file.
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
const vite = createRequire(import.meta.url)
  .resolve("vite/package.json")
  .replace(/package\.json$/, "bin/vite.js");
const running: BuiltApp[] = [];

export async function setup(project: TestProject) {
  const readmeDir = writeReadmeApp();
  await Promise.all([buildApp(appDir, [vite, "build"]), buildApp(readmeDir, [vite, "build"])]);
  const [app, readme] = await Promise.all([
    startBuiltApp({
      cwd: appDir,
      args: ["build/index.js"],
      readyPath: "/public",
      env: (port) => ({
        // adapter-node's own settings: its URL says http://, and its getClientAddress()
        // believes X-Forwarded-For. Tessera must still take the socket's address (the
        // scenarios spoof it).
        ORIGIN: `http://127.0.0.1:${port}`,
        ADDRESS_HEADER: "x-forwarded-for",
        XFF_DEPTH: "1",
      }),
    }),
    startBuiltApp({
      cwd: readmeDir,
      args: ["build/index.js"],
      readyPath: "/me",
      env: (port) => ({ ORIGIN: `http://127.0.0.1:${port}` }),
    }),
  ]);
  running.push(app, readme);
  project.provide("appUrl", app.url);
  project.provide("readmeUrl", readme.url);
}

export async function teardown() {
  await Promise.all(running.map((app) => app.stop()));
}
