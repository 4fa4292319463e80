import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("README", () => {
  it("runs the quick start as pasted against the built package and the real SDK", () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/otel first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `@tessera/otel` resolves to the package itself (self-reference).
    writeFileSync(`${here}.tmp/otel.mjs`, example!);
    const output = execFileSync(process.execPath, [`${here}.tmp/otel.mjs`], { encoding: "utf8" });
    expect(output).toContain(
      "spans: tessera.store.create tessera.store.readEpochs tessera.create tessera.store.get tessera.validate tessera.store.get tessera.validate",
    );
    expect(output).toContain("validations: ok - 1");
    expect(output).toContain("validations: refused invalid-secret 1");
  });
});
