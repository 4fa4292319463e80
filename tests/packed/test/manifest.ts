/**
 * What a published @tessera manifest must be, checked on the package.json and the file list of a
 * tarball as the registry serves it (after `changeset version` and `changeset publish`).
 */
import semver from "semver";

/** A published package.json, as far as the checks read it. */
export interface PublishedManifest {
  name?: string;
  version?: string;
  private?: boolean;
  exports?: unknown;
  main?: string;
  module?: string;
  types?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  publishConfig?: Record<string, unknown>;
  repository?: { type?: string; url?: string; directory?: string } | string;
  [field: string]: unknown;
}

/** What the manifest is compared against. */
export interface Expected {
  /** The package's folder under packages/: `core`, `express`, ... */
  dir: string;
  /** The version every @tessera package was given by `changeset version` (a fixed group). */
  version: string;
  /** The peer dependency ranges as written in the repository's package.json (the intent). */
  peerDependencies: Record<string, string>;
  /** `git+https://github.com/owner/name.git`, from the root package.json. */
  repositoryUrl: string;
}

/** Protocols only a workspace understands; an installed package with one fails to resolve. */
const WORKSPACE_PROTOCOL = /^(workspace|catalog|link|portal):/;

/** Every string in `value` (nested objects and arrays included) with the path leading to it. */
function strings(value: unknown, path: string): [string, string][] {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) =>
      strings(item, path ? `${path}.${key}` : key),
    );
  }
  return [];
}

/** The file paths an `exports` map (and `main`, `module`, `types`) points to, without `./`. */
export function exportTargets(manifest: PublishedManifest): string[] {
  const targets = strings(manifest.exports ?? {}, "").map(([, target]) => target);
  for (const field of ["main", "module", "types"] as const) {
    const value = manifest[field];
    if (typeof value === "string") targets.push(value);
  }
  return [...new Set(targets.map((target) => target.replace(/^\.\//, "")))];
}

/**
 * What is wrong with one published package: its manifest (the tarball's package.json) and the
 * paths of the files in its tarball (relative to the package root, e.g. `dist/index.js`). Empty
 * when nothing is.
 */
export function manifestProblems(
  manifest: PublishedManifest,
  files: string[],
  expected: Expected,
): string[] {
  const found: string[] = [];
  for (const [path, value] of strings(manifest, "")) {
    if (WORKSPACE_PROTOCOL.test(value)) found.push(`${path} is "${value}" (a workspace range)`);
  }
  if (manifest.private === true) found.push("private is true");
  if (manifest.version !== expected.version) {
    found.push(`version is ${manifest.version}, not ${expected.version}`);
  }
  const peers = manifest.peerDependencies ?? {};
  if (JSON.stringify(peers) !== JSON.stringify(expected.peerDependencies)) {
    found.push(
      `peerDependencies are ${JSON.stringify(peers)}, not ${JSON.stringify(expected.peerDependencies)}`,
    );
  }
  for (const field of ["dependencies", "peerDependencies"] as const) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (WORKSPACE_PROTOCOL.test(range)) continue;
      if (semver.validRange(range) === null) {
        found.push(`${field}.${name} is "${range}", not a semver range`);
      } else if (
        name.startsWith("@tessera/") &&
        !semver.satisfies(expected.version, range, { includePrerelease: true })
      ) {
        found.push(`${field}.${name} "${range}" excludes the version released with it`);
      }
    }
  }
  // Published with the release workflow's settings: public access, provenance from the
  // environment (NPM_CONFIG_PROVENANCE), the registry npm is configured with.
  const publishConfig = manifest.publishConfig ?? {};
  if (publishConfig.access !== "public") found.push(`publishConfig.access is not "public"`);
  if (publishConfig.provenance === false) found.push("publishConfig.provenance is false");
  if ("registry" in publishConfig) found.push("publishConfig.registry overrides the registry");
  // npm provenance checks the repository (and its directory) against the one that built it.
  const repository = typeof manifest.repository === "object" ? manifest.repository : {};
  if (repository.url !== expected.repositoryUrl) {
    found.push(`repository.url is ${repository.url}, not ${expected.repositoryUrl}`);
  }
  if (repository.directory !== `packages/${expected.dir}`) {
    found.push(`repository.directory is ${repository.directory}, not packages/${expected.dir}`);
  }
  const present = new Set(files);
  for (const file of ["package.json", "README.md", "LICENSE"]) {
    if (!present.has(file)) found.push(`${file} is not in the tarball`);
  }
  for (const target of exportTargets(manifest)) {
    if (!present.has(target)) found.push(`${target} (exports) is not in the tarball`);
  }
  return found;
}
