/**
 * The release tooling catches what it is there to catch: a package without its publishing
 * metadata, a workflow mistake, a release workflow without provenance; and the changelog links
 * each change to its commit.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
// @ts-expect-error: see above
import { lintWorkflow, releaseProblems } from "../../../scripts/lint-workflows.mjs";
import {
  layoutProblems,
  problems,
  publishedPackages,
  REPOSITORY,
  // @ts-expect-error: plain .mjs scripts of the repository, typed by use
} from "../../../scripts/package-metadata.mjs";
import { root } from "./scratch.js";

const require = createRequire(import.meta.url);

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-release-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("package metadata", () => {
  it("is complete on every published package of this repository", () => {
    const packages = publishedPackages(root) as string[];
    expect(packages).toContain("core");
    for (const dir of packages) expect(problems(root, dir), dir).toEqual([]);
  });

  it("the check names each missing field and a licence that is not the root's", () => {
    const fake = tempDir();
    mkdirSync(join(fake, "packages", "core"), { recursive: true });
    copyFileSync(join(root, "package.json"), join(fake, "package.json"));
    copyFileSync(join(root, "LICENSE"), join(fake, "LICENSE"));
    const manifest = JSON.parse(readFileSync(join(root, "packages/core/package.json"), "utf8"));
    delete manifest.repository;
    manifest.files = ["dist"];
    writeFileSync(join(fake, "packages/core/package.json"), JSON.stringify(manifest));
    writeFileSync(join(fake, "packages/core/LICENSE"), "All rights reserved.\n");

    expect(problems(fake, "core")).toEqual([
      `repository should be {"type":"git","url":"git+${REPOSITORY}.git","directory":"packages/core"}`,
      `files should include "LICENSE"`,
      "LICENSE differs from the root LICENSE",
    ]);
  });
});

describe("workflow lint (actionlint)", () => {
  it("finds nothing in this repository's workflows", async () => {
    for (const name of ["ci.yml", "release.yml"]) {
      const path = join(root, ".github/workflows", name);
      expect(await lintWorkflow(readFileSync(path, "utf8"), path), name).toEqual([]);
    }
    const release = readFileSync(join(root, ".github/workflows/release.yml"), "utf8");
    expect(releaseProblems(release)).toEqual([]);
  });

  it("reports a misspelt permission, a missing job, an unknown action input and a bad expression", async () => {
    const path = join(tempDir(), "broken.yml");
    const broken = [
      "name: broken",
      "on: push",
      "permissions:",
      "  id-tokens: write",
      "jobs:",
      "  publish:",
      "    runs-on: ubuntu-latest",
      "    needs: test",
      "    steps:",
      "      - uses: actions/checkout@v4",
      "        with:",
      "          fetch-deep: 0",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not JavaScript
      "      - run: echo ${{ github.events.ref }}",
      "",
    ].join("\n");
    writeFileSync(path, broken);
    const findings = (await lintWorkflow(broken, path)) as string[];
    expect(findings.map((finding) => /\[([a-z-]+)\]$/.exec(finding)?.[1])).toEqual([
      "permissions",
      "job-needs",
      "action",
      "expression",
    ]);
  });

  it("refuses a release workflow that would publish without provenance or before CI", () => {
    const release = readFileSync(join(root, ".github/workflows/release.yml"), "utf8");
    const weakened = release
      .replace(/^\s+id-token: write.*$/m, "")
      .replace('NPM_CONFIG_PROVENANCE: "true"', "")
      .replace("needs: ci", "");
    expect(releaseProblems(weakened)).toEqual([
      "permissions must grant `id-token: write` (npm provenance)",
      "the publish step must set NPM_CONFIG_PROVENANCE",
      "the release job must need the CI job",
    ]);
  });
});

describe("changelog", () => {
  const { default: changelog } = require(join(root, ".changeset/changelog.cjs"));
  const commit = "85ea95b4c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6";

  it("links each entry to the commit that added its changeset, on this repository", async () => {
    const line = await changelog.getReleaseLine(
      { summary: "One request gate for every framework.\n\nBREAKING: `x` is `y` now.", commit },
      "minor",
    );
    expect(line).toBe(
      [
        `- One request gate for every framework. ([\`85ea95b\`](${REPOSITORY}/commit/${commit}))`,
        "",
        "  BREAKING: `x` is `y` now.",
      ].join("\n"),
    );
  });

  it("is the generator changesets is configured with", () => {
    const config = JSON.parse(readFileSync(join(root, ".changeset/config.json"), "utf8"));
    expect(config.changelog).toBe("./changelog.cjs");
    expect(config.fixed).toEqual([["@tessera/*"]]);
  });
});

describe("workspace layout", () => {
  it("packages/ holds exactly the published packages and every folder has its README", () => {
    expect(layoutProblems(root)).toEqual([]);
    expect(publishedPackages(root)).toContain("core");
  });

  it("the check names a private package in packages/, a published one elsewhere and a missing README", () => {
    const fake = tempDir();
    const write = (dir: string, manifest: object, readme = true) => {
      mkdirSync(join(fake, dir), { recursive: true });
      writeFileSync(join(fake, dir, "package.json"), JSON.stringify(manifest));
      if (readme) writeFileSync(join(fake, dir, "README.md"), "# x\n");
    };
    for (const folder of ["packages", "tooling", "tests", "apps"]) {
      mkdirSync(join(fake, folder), { recursive: true });
      writeFileSync(join(fake, folder, "README.md"), "# x\n");
    }
    write("packages/helper", { name: "@tessera/helper", private: true });
    write("tooling/kit", { name: "@tessera/kit" });
    write("apps/site", { name: "@tessera/site", private: true }, false);
    expect(layoutProblems(fake)).toEqual([
      "packages/helper is private: packages/ holds only published packages",
      "tooling/kit would be published: only packages/ is",
      "examples/README.md is missing",
      "apps/site has no README.md",
    ]);
  });
});
