import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("README", () => {
  it("runs the quick start as pasted against the built package", () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/anomaly first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `@tessera/anomaly` resolves to the package itself (self-reference).
    writeFileSync(`${here}.tmp/anomaly.mjs`, example!);
    const output = execFileSync(process.execPath, [`${here}.tmp/anomaly.mjs`], {
      encoding: "utf8",
    });
    expect(output.trim().split("\n")).toEqual([
      "ALERT anomaly.invalid_secrets 198.51.100.0/24 5",
      "kept for the admin page: 1",
    ]);
  });
});
