/**
 * @tessera/edge-test-kit: proves that code runs on edge runtimes. Private, never published; its
 * own package (not part of @tessera/test-kit) because @tessera/core's tests use it and
 * @tessera/test-kit depends on @tessera/core.
 */
import { fileURLToPath } from "node:url";
import { EdgeVM } from "@edge-runtime/vm";
import { build, type StdinOptions } from "esbuild";
import { expect } from "vitest";

/** What to bundle and what to run on the bundle. */
export interface EdgeRun {
  /** An entry file (absolute path or `file:` URL), or module source to bundle (esbuild stdin). */
  entry: string | URL | StdinOptions;
  /** The global the bundle's exports are assigned to inside the VM. */
  globalName: string;
  /**
   * The body of an async function run inside the VM after the bundle; what it returns comes back
   * through JSON (so plain data only).
   */
  script: string;
}

/**
 * Bundles `entry` for esbuild's "neutral" platform, which fails on any Node built-in it cannot
 * resolve, then checks the bundle imports no `node:` module, starts a fresh edge-runtime VM (Web
 * APIs only: no `process`, `Buffer` or `require`, checked), evaluates the bundle in it and runs
 * `script`. Resolves what the script returned.
 */
export async function runInEdgeRuntime({ entry, globalName, script }: EdgeRun): Promise<unknown> {
  const source =
    typeof entry === "object" && !(entry instanceof URL)
      ? { stdin: entry }
      : { entryPoints: [entry instanceof URL ? fileURLToPath(entry) : entry] };
  const bundle = await build({
    ...source,
    bundle: true,
    write: false,
    format: "iife",
    globalName,
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    logLevel: "silent",
  });
  const code = bundle.outputFiles[0]!.text;
  expect(code).not.toMatch(/require\(["']node:|from ["']node:/);

  const vm = new EdgeVM();
  expect(vm.evaluate("typeof process + typeof Buffer + typeof require")).toBe(
    "undefinedundefinedundefined",
  );
  vm.evaluate(code);
  const json: string = await vm.evaluate(`(async () => {\n${script}\n})().then(JSON.stringify)`);
  return JSON.parse(json);
}
export { runExampleSuite, scriptPath, startScript } from "./example-suite.js";
export {
  bundleWorker,
  COMPATIBILITY_DATE,
  freePort,
  type ProcessOptions,
  type RunningServer,
  requestJson,
  startProcess,
  startWorker,
  type WorkerOptions,
} from "./runtimes.js";
