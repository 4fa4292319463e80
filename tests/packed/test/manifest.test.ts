/**
 * The published-manifest check of the publish rehearsal catches each defect it is there for: a
 * `workspace:` range left in, a peer range changed or excluding the release, the publishing
 * settings gone, README or LICENSE missing, an `exports` path that is not in the tarball.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Expected, manifestProblems, type PublishedManifest } from "./manifest.js";
import { root } from "./scratch.js";

const REPOSITORY = "git+https://github.com/tessera-sessions/tessera.git";

/** A manifest as `pnpm publish` writes it for @tessera/express 0.2.0, and its tarball. */
function good(): { manifest: PublishedManifest; files: string[]; expected: Expected } {
  const source = JSON.parse(readFileSync(join(root, "packages/express/package.json"), "utf8"));
  const manifest: PublishedManifest = {
    ...source,
    version: "0.2.0",
    devDependencies: { "@tessera/core": "^0.2.0", express: "^5.3.0" },
  };
  delete manifest.scripts;
  return {
    manifest,
    files: ["package.json", "README.md", "LICENSE", ...distFiles(source.exports)],
    expected: {
      dir: "express",
      version: "0.2.0",
      peerDependencies: source.peerDependencies,
      repositoryUrl: REPOSITORY,
    },
  };
}

function distFiles(exports: unknown): string[] {
  return JSON.stringify(exports)
    .match(/"\.\/[^"]+"/g)!
    .map((path) => path.slice(3, -1))
    .filter((path) => path !== "package.json");
}

describe("manifestProblems", () => {
  it("finds nothing in a manifest as the release writes it", () => {
    const { manifest, files, expected } = good();
    expect(manifestProblems(manifest, files, expected)).toEqual([]);
  });

  it("refuses a workspace: range in any field, devDependencies included", () => {
    const { manifest, files, expected } = good();
    manifest.dependencies = { "@tessera/core": "workspace:^" };
    manifest.devDependencies = { "@tessera/test-kit": "workspace:*" };
    expect(manifestProblems(manifest, files, expected).sort()).toEqual([
      'dependencies.@tessera/core is "workspace:^" (a workspace range)',
      'devDependencies.@tessera/test-kit is "workspace:*" (a workspace range)',
    ]);
  });

  it("refuses a peer range that changed or excludes the version released with it", () => {
    const { manifest, files, expected } = good();
    manifest.peerDependencies = { ...manifest.peerDependencies, "@tessera/core": "^0.1.0" };
    const problems = manifestProblems(manifest, files, expected);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^peerDependencies are .*"\^0\.1\.0".*, not /);
    expect(problems[1]).toBe(
      'peerDependencies.@tessera/core "^0.1.0" excludes the version released with it',
    );
  });

  it("refuses a manifest without public access, with provenance off or another registry", () => {
    const { manifest, files, expected } = good();
    manifest.publishConfig = { provenance: false, registry: "https://npm.example.com/" };
    expect(manifestProblems(manifest, files, expected)).toEqual([
      'publishConfig.access is not "public"',
      "publishConfig.provenance is false",
      "publishConfig.registry overrides the registry",
    ]);
  });

  it("refuses a repository that npm provenance would not match", () => {
    const { manifest, files, expected } = good();
    manifest.repository = { type: "git", url: REPOSITORY, directory: "packages/core" };
    expect(manifestProblems(manifest, files, expected)).toEqual([
      "repository.directory is packages/core, not packages/express",
    ]);
  });

  it("refuses a tarball without README.md or LICENSE, or without an exported file", () => {
    const { manifest, files, expected } = good();
    const tarball = files.filter(
      (file) => file !== "README.md" && file !== "LICENSE" && file !== "dist/index.cjs",
    );
    expect(manifestProblems(manifest, tarball, expected)).toEqual([
      "README.md is not in the tarball",
      "LICENSE is not in the tarball",
      "dist/index.cjs (exports) is not in the tarball",
    ]);
  });

  it("refuses a version other than the one released", () => {
    const { manifest, files, expected } = good();
    manifest.version = "0.1.0";
    expect(manifestProblems(manifest, files, expected)).toEqual(["version is 0.1.0, not 0.2.0"]);
  });
});
