import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { CI, redisAnswers } from "../../redis/test/servers.js";

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

  it("works from CommonJS, every entry, on this Node (require of the ESM-only jose), beside an ESM core", () => {
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

        // An app on core's ESM build: its errors are another class than the ones required here.
        const esmCore = await import("@tessera/core");
        console.log("two copies", esmCore.StoreUnavailableError !== require("@tessera/core").StoreUnavailableError);
        const { tokenEndpoint } = require("@tessera/access-token");
        class DownStore extends esmCore.MemoryStore {
          get() { return Promise.reject(new Error("ECONNREFUSED")); }
          getWithEpochs() { return Promise.reject(new Error("ECONNREFUSED")); }
        }
        const sessions = esmCore.createSessions({ store: new DownStore() });
        const key = await generateSigningKey();
        const tokens = createAccessTokens({ keys: [key], issuer: "https://i.example", audience: "a" });
        const response = await tokenEndpoint({ sessions, tokens })(
          new Request("http://s.example/token", {
            method: "POST",
            headers: { authorization: "Bearer " + "a".repeat(24) + "." + "b".repeat(32) },
          }),
        );
        console.log("outage answered", response.status);
      })();
      `,
    );
    expect(output.trim().split("\n")).toEqual([
      "EdDSA u1",
      "ES256 u1",
      "HS256 u1",
      "adapters function function",
      "error true",
      "two copies true",
      "outage answered 503",
    ]);
  });

  it("runs the revocation push example as pasted against the machine's Redis", async () => {
    if (!(await redisAnswers(6379))) {
      const message =
        "Redis on 127.0.0.1:6379 is unreachable: the revocation push example needs it";
      if (CI) throw new Error(message);
      console.warn(`\n[@tessera/access-token] WARNING: ${message}; it is skipped.\n`);
      return;
    }
    expect(existsSync(`${here}dist/redis.js`), "build @tessera/access-token first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Revocation push[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('prefix: "myapp:revocations:"');
    // The only change: a prefix of this run's own on the shared server.
    const prefix = `tessera-readme-revocations-${Date.now().toString(36)}-${process.pid}:`;
    const redis = new Redis({ host: "127.0.0.1", port: 6379 });
    try {
      const output = run("push.mjs", example!.replace("myapp:revocations:", prefix));
      expect(output.trim().split("\n")).toEqual([
        "feed: live | before logout: true",
        "after logout: revoked | store checks: 0",
      ]);
    } finally {
      await redis.del(`${prefix}{log}`);
      redis.disconnect();
    }
  });
});
