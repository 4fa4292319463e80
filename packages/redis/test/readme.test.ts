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

/**
 * Writes the README's example under `heading` to `.tmp/<file>` with a prefix of this run's own on
 * the shared server (the only change) and runs it with Node; resolves what it printed.
 */
async function runExample(heading: string, file: string, prefix: string): Promise<string> {
  expect(existsSync(`${here}dist/index.js`), "build @tessera/redis first").toBe(true);
  const readme = readFileSync(`${here}README.md`, "utf8");
  const example = new RegExp(`${heading}[\\s\\S]*?\`\`\`js\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  expect(example).toContain('prefix: "myapp:session:"');
  mkdirSync(`${here}.tmp`, { recursive: true });
  writeFileSync(`${here}.tmp/${file}`, example!.replace("myapp:session:", prefix));
  // Inside the package, `import "@tessera/redis"` resolves to the package itself.
  const { stdout } = await promisify(execFile)(process.execPath, [`${here}.tmp/${file}`]);
  return stdout;
}

describe.runIf(up)("README", () => {
  it("example runs as pasted against the built package and a real Redis", async () => {
    const prefix = uniquePrefix("readme");
    const redis = new Redis({ host: "127.0.0.1", port: 6379 });
    try {
      const stdout = await runExample("## Example", "redis-example.mjs", prefix);
      expect(stdout).toMatch(
        new RegExp(`^key: ${prefix}\\{[0-9a-f]{2}\\}s:[a-z2-7]{24} expires in 1800 s$`, "m"),
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

  it("node-redis example runs as pasted against the built package and a real Redis", async () => {
    const prefix = uniquePrefix("readme-node-redis");
    const redis = new Redis({ host: "127.0.0.1", port: 6379 });
    try {
      const stdout = await runExample("### With node-redis", "node-redis-example.mjs", prefix);
      expect(stdout).toContain("valid: true user: bob");
      expect(stdout).toContain("logged out elsewhere: 1");
      expect(stdout).toContain("devices now: 1");
      // One session key and the bucket of the user's index remain.
      expect((await redis.keys(`${prefix}*`)).sort()).toEqual([
        expect.stringMatching(/u\{[0-9a-f]{4}\}$/),
        expect.stringMatching(/\{[0-9a-f]{2}\}s:[a-z2-7]{24}$/),
      ]);
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
