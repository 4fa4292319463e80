/**
 * The ASVS mapping stays honest: every test it cites exists under that name in that file, and
 * every requirement of ASVS 5.0 chapter V7 has a row.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { docsDir } from "./pages.js";

const root = join(docsDir, "..", "..");
const page = readFileSync(join(docsDir, "security/asvs.md"), "utf8");

/** Every `path` › "test name" the page cites. */
const citations = [...page.matchAll(/`([\w./-]+\.ts)` › "([^"]+)"/g)].map(([, file, name]) => ({
  file: file!,
  name: name!,
}));

const V7 = {
  "7.1": 3,
  "7.2": 4,
  "7.3": 2,
  "7.4": 5,
  "7.5": 3,
  "7.6": 2,
};

describe("security/asvs.md", () => {
  it("has one row for each of the 19 requirements of chapter V7, each with a status", () => {
    const rows = [...page.matchAll(/^\| (7\.\d\.\d) \(L\d\) \|[^|]+\| (met|yours|n\/a) \|/gm)];
    const expected = Object.entries(V7).flatMap(([section, count]) =>
      Array.from({ length: count }, (_, i) => `${section}.${i + 1}`),
    );
    expect(rows.map((row) => row[1])).toEqual(expected);
  });

  it("cites tests that exist, under these names, in these files", () => {
    expect(citations.length).toBeGreaterThan(20);
    for (const { file, name } of citations) {
      const source = readFileSync(join(root, file), "utf8");
      // A test title or a shared scenario's name, as a string literal.
      expect(source.includes(`"${name}"`), `${file} has no test named "${name}"`).toBe(true);
    }
  });
});
