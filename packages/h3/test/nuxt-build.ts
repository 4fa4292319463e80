/**
 * vitest globalSetup: one Nuxt production build of test/nuxt-app per test run (`nuxi build`), which
 * nuxt.test.ts then serves with `node .output/server/index.mjs`.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const nuxtAppDir = fileURLToPath(new URL("./nuxt-app", import.meta.url));

export default function buildNuxtApp(): void {
  // The `nuxi` bin of the installed nuxt (its exports map does not list bin/).
  const manifest = createRequire(import.meta.url).resolve("nuxt/package.json");
  const nuxi = join(dirname(manifest), "bin", "nuxt.mjs");
  const built = spawnSync(process.execPath, [nuxi, "build", nuxtAppDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NUXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
  });
  if (built.status !== 0) {
    throw new Error(`nuxi build failed (exit ${built.status}):\n${built.stdout}\n${built.stderr}`);
  }
}
