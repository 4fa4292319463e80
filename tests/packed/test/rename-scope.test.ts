/**
 * scripts/rename-scope.mjs, the one scripted change that moves every package to another npm scope
 * should `@tessera` not be ours: a dry run writes nothing, a run renames the scope everywhere it
 * is the scope (manifests, imports, regular expressions, registry settings) and nowhere else.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
// @ts-expect-error: a plain .mjs script of the repository, typed by use
import { renameScope, validScope } from "../../../scripts/rename-scope.mjs";
import { root } from "./scratch.js";

const FILES: Record<string, string> = {
  "packages/express/package.json": `${JSON.stringify(
    {
      name: "@tessera/express",
      peerDependencies: { "@tessera/core": ">=0.1.0 <1" },
      devDependencies: { "@tessera/test-kit": "workspace:^" },
    },
    null,
    2,
  )}\n`,
  "packages/express/src/index.ts": 'import { createSessions } from "@tessera/core";\n',
  "apps/tools/test/a.test.ts":
    'expect(path).toMatch(/node_modules\\/@tessera\\/core/);\nconst dir = join("node_modules", "@tessera", "core");\nconst store = "@tessera+core@0.2.0";\n',
  ".npmrc": "@tessera:registry=http://127.0.0.1:4873/\n",
  ".changeset/config.json": '{ "fixed": [["@tessera/*"]] }\n',
  "README.md":
    "Every @tessera package; the org is tessera-sessions (@tessera-sessions on GitHub).\n",
};

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-rename-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  // A binary file is never rewritten, whatever bytes it holds.
  writeFileSync(join(dir, "logo.bin"), Buffer.from("\u0000@tessera/core\u0000"));
  execFileSync("git", ["init", "-q"], { cwd: dir });
  execFileSync("git", ["add", "-A"], { cwd: dir });
  return dir;
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), "utf8");
}

describe("scripts/rename-scope.mjs", () => {
  it("a dry run lists what would change and writes nothing", () => {
    const dir = fixture();
    const changes = renameScope(dir, "@acme-sessions") as { file: string; count: number }[];
    expect(changes.sort((a, b) => (a.file < b.file ? -1 : 1))).toEqual([
      { file: ".changeset/config.json", count: 1 },
      { file: ".npmrc", count: 1 },
      { file: "README.md", count: 1 },
      { file: "apps/tools/test/a.test.ts", count: 3 },
      { file: "packages/express/package.json", count: 3 },
      { file: "packages/express/src/index.ts", count: 1 },
    ]);
    for (const [file, text] of Object.entries(FILES)) expect(read(dir, file)).toBe(text);
  });

  it("--write renames the scope in every form, and leaves longer names and binaries alone", () => {
    const dir = fixture();
    renameScope(dir, "@acme-sessions", { write: true });
    expect(JSON.parse(read(dir, "packages/express/package.json"))).toEqual({
      name: "@acme-sessions/express",
      peerDependencies: { "@acme-sessions/core": ">=0.1.0 <1" },
      devDependencies: { "@acme-sessions/test-kit": "workspace:^" },
    });
    expect(read(dir, "packages/express/src/index.ts")).toContain('from "@acme-sessions/core"');
    expect(read(dir, "apps/tools/test/a.test.ts")).toBe(
      'expect(path).toMatch(/node_modules\\/@acme-sessions\\/core/);\nconst dir = join("node_modules", "@acme-sessions", "core");\nconst store = "@acme-sessions+core@0.2.0";\n',
    );
    expect(read(dir, ".npmrc")).toBe("@acme-sessions:registry=http://127.0.0.1:4873/\n");
    expect(read(dir, ".changeset/config.json")).toContain('"@acme-sessions/*"');
    expect(read(dir, "README.md")).toBe(
      "Every @acme-sessions package; the org is tessera-sessions (@tessera-sessions on GitHub).\n",
    );
    expect(readFileSync(join(dir, "logo.bin")).toString("latin1")).toBe(
      "\u0000@tessera/core\u0000",
    );
  });

  it("refuses a scope npm would refuse", () => {
    for (const scope of ["tessera", "@Tessera", "@tessera", "@", "@a b"]) {
      expect(validScope(scope), scope).toBe(false);
      expect(() => renameScope(fixture(), scope)).toThrow(/not a valid new npm scope/);
    }
  });

  it("finds the scope in this repository's manifests, sources and docs (dry run)", () => {
    const changes = renameScope(root, "@acme-sessions") as { file: string }[];
    const files = changes.map(({ file }) => file);
    for (const file of [
      "packages/core/package.json",
      "packages/express/src/middleware.ts",
      "packages/express/README.md",
      ".changeset/config.json",
      "pnpm-lock.yaml",
    ]) {
      expect(files).toContain(file);
    }
  });
});
