import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { deleteKeysUnder, uniquePrefix } from "./helpers.js";
import { CI, redisAnswers } from "./servers.js";

const here = fileURLToPath(new URL("..", import.meta.url));
const up = await redisAnswers(6379);
if (!up) {
  const message = "Redis on 127.0.0.1:6379 is unreachable: the README example cannot run";
  if (CI) throw new Error(message);
  console.warn(`\n[@tessera/redis] WARNING: ${message}; it is skipped.\n`);
}

describe.runIf(up)("README", () => {
  it("example runs as pasted against the built package and a real Redis", async () => {
    expect(existsSync(`${here}dist/index.js`), "build @tessera/redis first").toBe(true);
    const readme = readFileSync(`${here}README.md`, "utf8");
    const example = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('prefix: "myapp:session:"');
    // The only change: a prefix of this run's own on the shared server.
    const prefix = uniquePrefix("readme");
    mkdirSync(`${here}.tmp`, { recursive: true });
    writeFileSync(`${here}.tmp/redis-example.mjs`, example!.replace("myapp:session:", prefix));
    const redis = new Redis({ host: "127.0.0.1", port: 6379 });
    try {
      // Inside the package, `import "@tessera/redis"` resolves to the package itself.
      const { stdout } = await promisify(execFile)(process.execPath, [
        `${here}.tmp/redis-example.mjs`,
      ]);
      expect(stdout).toMatch(
        new RegExp(`^key: ${prefix}s:\\{[a-z2-7]{24}\\} expires in 1800 s$`, "m"),
      );
      expect(stdout).toContain("valid: true role: member");
      expect(stdout).toContain("devices: 2");
      expect(stdout).toContain("logged out elsewhere: 1");
      expect(stdout).toContain("devices now: 0");
      expect(await redis.keys(`${prefix}*`)).toEqual([]); // revoking left nothing behind
    } finally {
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    }
  });
});

if (!up) {
  describe.skip("README example skipped: Redis on 127.0.0.1:6379 is unreachable", () => {
    it("runs the example", () => {});
  });
}
