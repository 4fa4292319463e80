/**
 * The quick start of @tessera/next's README shows this app's proxy.ts and lib/auth.ts; they
 * must stay identical, so the README shows code the end-to-end suite actually runs. The
 * Next.js 15 twin (examples/next-15) runs this file too, with middleware.ts for proxy.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { appDir } from "./server";

const readme = readFileSync(`${appDir}../../packages/next/README.md`, "utf8");

function readmeBlock(path: string): string | undefined {
  for (const match of readme.matchAll(/```tsx?\n([\s\S]*?)```/g)) {
    const [first, ...rest] = (match[1] ?? "").split("\n");
    if (first === `// ${path}`) return rest.join("\n");
  }
  return undefined;
}

describe("@tessera/next README", () => {
  const entry = existsSync(`${appDir}proxy.ts`) ? "proxy.ts" : "middleware.ts";
  for (const path of [entry, "lib/auth.ts"]) {
    it(`shows this app's ${path} verbatim`, () => {
      const block = readmeBlock(path);
      expect(block, `README has no block starting with "// ${path}"`).toBeDefined();
      expect(block).toBe(readFileSync(`${appDir}${path}`, "utf8"));
    });
  }
});
