import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { expect, it } from "vitest";
import { describeServer, server } from "./support.js";

const here = fileURLToPath(new URL("..", import.meta.url));

describeServer("README", () => {
  it("quick start runs as pasted against the built package and a real server", async () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/mysql first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    mkdirSync(`${here}.tmp`, { recursive: true });
    // Inside the package, `import "@tessera/mysql"` resolves to the package itself.
    writeFileSync(`${here}.tmp/quickstart.mjs`, example!);
    // A database of its own: the example creates the default `sessions` table.
    const database = `${server?.database}_readme`;
    const admin = await mysql.createConnection({ uri: server?.url });
    await admin.query(`create database \`${database}\``);
    try {
      const output = execFileSync(process.execPath, [`${here}.tmp/quickstart.mjs`], {
        encoding: "utf8",
        env: { ...process.env, DATABASE_URL: `${server?.url}/${database}` },
      });
      expect(output).toMatch(/^Set-Cookie: __Host-session=[a-z2-7]{24}\.[a-z2-7]{32}; /m);
      expect(output).toContain("valid: true role: member");
      expect(output).toContain("revoked: 1");
      expect(output).toContain("after revokeAll: not-found");
      expect(output).toContain("expired rows purged: 0");
    } finally {
      await admin.query(`drop database \`${database}\``);
      await admin.end();
    }
  }, 60_000);
});
