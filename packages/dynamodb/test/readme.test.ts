import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { endpoint } from "./helpers.js";

const here = new URL("..", import.meta.url).pathname;

describe("README", () => {
  it("quick start runs as pasted against dynalite, with the built package", async () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/dynamodb first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `import "@tessera/dynamodb"` resolves to the package itself.
    writeFileSync(`${here}.tmp/quickstart.mjs`, example ?? "");
    const { stdout } = await promisify(execFile)(process.execPath, [`${here}.tmp/quickstart.mjs`], {
      env: {
        PATH: process.env.PATH,
        DYNAMODB_ENDPOINT: endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      },
    });
    expect(stdout).toContain("table: { created: true, ttl: 'unsupported' }");
    expect(stdout).toContain("valid: true");
    expect(stdout).toContain("devices: 2");
    expect(stdout).toContain("other devices logged out: 1");
    expect(stdout).toContain("phone: not-found");
  });
});
