import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("README", () => {
  it("quick start runs as pasted against the built package", () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/sqlite first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `import "@tessera/sqlite"` resolves to the package itself.
    writeFileSync(`${here}.tmp/quickstart.mjs`, example!);
    const output = execFileSync(process.execPath, [`${here}.tmp/quickstart.mjs`], {
      encoding: "utf8",
    });
    expect(output).toMatch(/^Set-Cookie: __Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; /m);
    expect(output).toContain("valid: true role: member");
    expect(output).toContain("revoked: 1");
    expect(output).toContain("after revokeAll: not-found");
    expect(output).toContain("expired rows purged: 0");
  }, 60_000);
});
