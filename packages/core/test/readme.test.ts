import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("README", () => {
  it("quick start runs as pasted against the built package", () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/core first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `import "@tessera/core"` resolves to the package itself (self-reference).
    writeFileSync(`${here}.tmp/quickstart.mjs`, example!);
    const output = execFileSync(process.execPath, [`${here}.tmp/quickstart.mjs`], {
      encoding: "utf8",
    });
    expect(output).toMatch(
      /^Set-Cookie: __Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/m,
    );
    expect(output).toContain("valid: true fresh: true");
    expect(output).toContain("rotated: true");
    expect(output).toContain("event: session.reuse_detected");
    expect(output).toContain("replaying the old cookie: reused");
    expect(output).toContain("devices left: 0");
  });
});
