/**
 * The publishing metadata of every package under packages/ that is not private:
 *
 *   node scripts/package-metadata.mjs          sets the fields and copies LICENSE (idempotent)
 *   node scripts/package-metadata.mjs --check  changes nothing; exits 1 listing what is missing
 *
 * Fields: `repository` (with `directory`, which npm provenance checks against the repository the
 * package was built from), `homepage`, `bugs`, `license`, `keywords` (kept, plus "session" and
 * "tessera"), `engines` (the root's), and `files` including LICENSE; the root LICENSE is copied
 * into each package. Run it after adding a package; CI runs the check. The root package.json gets
 * `repository`, `homepage` and `bugs` too (the changelog generator reads the repository there).
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The one place the repository's address is written. A placeholder until the org exists. */
export const REPOSITORY = "https://github.com/tessera-sessions/tessera";

const KEYWORDS = ["session", "tessera"];

/** The fields a published package must carry, as they should read. */
export function expectedFields(dir, rootEngines) {
  return {
    repository: { type: "git", url: `git+${REPOSITORY}.git`, directory: `packages/${dir}` },
    homepage: `${REPOSITORY}/tree/main/packages/${dir}#readme`,
    bugs: { url: `${REPOSITORY}/issues` },
    license: "MIT",
    engines: rootEngines,
  };
}

/** What is wrong with one package's manifest and licence copy; empty when nothing is. */
export function problems(root, dir) {
  const pkgDir = join(root, "packages", dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const found = [];
  for (const [field, value] of Object.entries(expectedFields(dir, rootPkg.engines))) {
    if (JSON.stringify(pkg[field]) !== JSON.stringify(value)) {
      found.push(`${field} should be ${JSON.stringify(value)}`);
    }
  }
  const keywords = Array.isArray(pkg.keywords) ? pkg.keywords : [];
  for (const keyword of KEYWORDS) {
    if (!keywords.includes(keyword)) found.push(`keywords should include "${keyword}"`);
  }
  if (!Array.isArray(pkg.files) || !pkg.files.includes("LICENSE")) {
    found.push(`files should include "LICENSE"`);
  }
  const licence = join(pkgDir, "LICENSE");
  if (!existsSync(licence)) found.push("LICENSE is missing (copy of the root LICENSE)");
  else if (!readFileSync(licence).equals(readFileSync(join(root, "LICENSE")))) {
    found.push("LICENSE differs from the root LICENSE");
  }
  return found;
}

/** The directory names of the published packages (private ones are left alone). */
export function publishedPackages(root) {
  return readdirSync(join(root, "packages"))
    .filter((dir) => existsSync(join(root, "packages", dir, "package.json")))
    .filter((dir) => {
      const pkg = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
      return pkg.private !== true;
    })
    .sort();
}

/** The workspace's folders by role, each with a README saying what lives there. */
export const ROLE_FOLDERS = ["packages", "tooling", "tests", "examples", "apps"];

/**
 * What is wrong with the workspace layout: `packages/` holds only published packages, nothing
 * published lives elsewhere, and each role folder and each package in it has a README.
 */
export function layoutProblems(root) {
  const found = [];
  for (const folder of ROLE_FOLDERS) {
    if (!existsSync(join(root, folder, "README.md"))) found.push(`${folder}/README.md is missing`);
    if (!existsSync(join(root, folder))) continue;
    for (const dir of readdirSync(join(root, folder)).sort()) {
      const manifest = join(root, folder, dir, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, "utf8"));
      if (!existsSync(join(root, folder, dir, "README.md"))) {
        found.push(`${folder}/${dir} has no README.md`);
      }
      if (folder === "packages" && pkg.private === true) {
        found.push(`packages/${dir} is private: packages/ holds only published packages`);
      }
      if (folder !== "packages" && pkg.private !== true) {
        found.push(`${folder}/${dir} would be published: only packages/ is`);
      }
    }
  }
  return found;
}

/** Rewrites a manifest with the fields set, keeping every other field where it was. */
function apply(root, dir) {
  const file = join(root, "packages", dir, "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  Object.assign(pkg, expectedFields(dir, rootPkg.engines));
  const keywords = Array.isArray(pkg.keywords) ? pkg.keywords : [];
  pkg.keywords = [...keywords, ...KEYWORDS.filter((keyword) => !keywords.includes(keyword))];
  const files = Array.isArray(pkg.files) ? pkg.files : ["dist"];
  pkg.files = files.includes("LICENSE") ? files : [...files, "LICENSE"];
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  copyFileSync(join(root, "LICENSE"), join(root, "packages", dir, "LICENSE"));
}

function applyRoot(root) {
  const file = join(root, "package.json");
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  pkg.repository = { type: "git", url: `git+${REPOSITORY}.git` };
  pkg.homepage = `${REPOSITORY}#readme`;
  pkg.bugs = { url: `${REPOSITORY}/issues` };
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const check = process.argv.includes("--check");
  const packages = publishedPackages(root);
  if (!check) {
    applyRoot(root);
    for (const dir of packages) apply(root, dir);
    console.log(`package metadata set on ${packages.length} packages`);
    return;
  }
  let failed = 0;
  for (const dir of packages) {
    for (const problem of problems(root, dir)) {
      console.error(`packages/${dir}: ${problem}`);
      failed++;
    }
  }
  for (const problem of layoutProblems(root)) {
    console.error(`layout: ${problem}`);
    failed++;
  }
  if (failed > 0) {
    console.error(`\n${failed} problem(s); run: node scripts/package-metadata.mjs`);
    process.exit(1);
  }
  console.log(`package metadata complete on ${packages.length} packages`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
