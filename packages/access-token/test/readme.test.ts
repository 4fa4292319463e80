import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

function run(file: string, source: string): string {
  mkdirSync(`${here}.tmp`, { recursive: true });
  // Inside the package, `@tessera/access-token` resolves to the package itself (self-reference).
  writeFileSync(`${here}.tmp/${file}`, source);
  return execFileSync(process.execPath, [`${here}.tmp/${file}`], { encoding: "utf8" });
}

describe("the built package", () => {
  it("runs the README quick start as pasted (ESM)", () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/access-token first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const output = run("quickstart.mjs", example!);
    expect(output).toMatch(/^access token of 3\d\d bytes$/m);
    expect(output).toContain("verified: alice admin");
    expect(output).toContain("forged: bad-signature");
    expect(output).toContain("ordinary call after logout: true");
    expect(output).toContain("sensitive call after logout: revoked");
  });

  it("works from CommonJS, every entry, on this Node (require of the ESM-only jose)", () => {
    expect(existsSync(`${here}dist/index.cjs`), "build @tessera/access-token first").toBe(true);
    const output = run(
      "commonjs.cjs",
      `
      const { createAccessTokens, createVerifier, generateSigningKey } = require("@tessera/access-token");
      const express = require("@tessera/access-token/express");
      const hono = require("@tessera/access-token/hono");
      const { TesseraConfigError } = require("@tessera/core");
      (async () => {
        for (const alg of ["EdDSA", "ES256", "HS256"]) {
          const key = await generateSigningKey(alg);
          const tokens = createAccessTokens({ keys: [key], issuer: "https://i.example", audience: "a" });
          const verifier = createVerifier({ keys: [key], issuer: "https://i.example", audience: "a" });
          const result = await verifier.verify(await tokens.issue({ id: "s1", userId: "u1" }));
          console.log(alg, result.ok && result.claims.sub);
        }
        console.log("adapters", typeof express.requireAccessToken, typeof hono.requireAccessToken);
        try { createAccessTokens({ keys: [] }); } catch (e) { console.log("error", e instanceof TesseraConfigError); }
      })();
      `,
    );
    expect(output.trim().split("\n")).toEqual([
      "EdDSA u1",
      "ES256 u1",
      "HS256 u1",
      "adapters function function",
      "error true",
    ]);
  });
});
