#!/usr/bin/env node
/**
 * Renames the npm scope of every package in one scripted change, should `@tessera` not be ours
 * on the npm registry (apps/docs/production/release.md says how that is checked):
 *
 *   node scripts/rename-scope.mjs @new-scope           dry run: lists each file and how many
 *                                                       occurrences would change; writes nothing
 *   node scripts/rename-scope.mjs @new-scope --write   rewrites the files
 *
 * Every file git tracks is read (binary files are skipped): package.json names and dependency
 * ranges, imports in sources, tests and examples, docs, the changesets and their config, the
 * lockfile. `@tessera` is replaced where it is the scope: followed by `/`, `\/` (in regular
 * expressions), `+` (pnpm's store folder names), `:` (`@tessera:registry`), a quote or `*`, and
 * not where it is the start of a longer name (`@tessera-sessions`). Run `pnpm install` afterwards
 * (the workspace links move to node_modules/@new-scope), then `npm test`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FROM = "@tessera";
/** The scope as a whole word: not followed by a letter, digit, `-`, `_` or `.`. */
const PATTERN = /@tessera(?![\w.-])/g;

/** Whether `scope` is a valid npm scope (`@` and a lowercase URL-safe name). */
export function validScope(scope) {
  return /^@[a-z0-9][a-z0-9._-]*$/.test(scope) && scope.length <= 215 && scope !== FROM;
}

/** `text` with the scope renamed, and how many occurrences were. */
export function renameIn(text, to) {
  let count = 0;
  const renamed = text.replace(PATTERN, () => {
    count++;
    return to;
  });
  return { text: renamed, count };
}

/** The files git tracks under `root`, relative to it. */
export function trackedFiles(root) {
  return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
}

/**
 * Renames the scope in every tracked text file of `root`; writes only when `write` is true.
 * Returns the files that (would) change, with their counts.
 */
export function renameScope(root, to, { write = false } = {}) {
  if (!validScope(to)) throw new Error(`not a valid new npm scope: ${to}`);
  const changes = [];
  for (const file of trackedFiles(root)) {
    let buffer;
    try {
      buffer = readFileSync(join(root, file));
    } catch {
      continue; // deleted in the work tree
    }
    if (buffer.includes(0)) continue; // binary
    const { text, count } = renameIn(buffer.toString("utf8"), to);
    if (count === 0) continue;
    changes.push({ file, count });
    if (write) writeFileSync(join(root, file), text);
  }
  return changes;
}

function main() {
  const args = process.argv.slice(2);
  const write = args.includes("--write");
  const rootIndex = args.indexOf("--root");
  const root =
    rootIndex === -1 ? join(fileURLToPath(import.meta.url), "..", "..") : args[rootIndex + 1];
  const to = args.find((arg, i) => arg.startsWith("@") && args[i - 1] !== "--root");
  if (!to) {
    console.error("usage: node scripts/rename-scope.mjs @new-scope [--write] [--root <dir>]");
    process.exit(2);
  }
  const changes = renameScope(root, to, { write });
  for (const { file, count } of changes) console.log(`${String(count).padStart(5)}  ${file}`);
  const total = changes.reduce((sum, { count }) => sum + count, 0);
  console.log(
    write
      ? `\nrenamed ${FROM} to ${to}: ${total} occurrences in ${changes.length} files; now run pnpm install`
      : `\ndry run: ${total} occurrences of ${FROM} in ${changes.length} files would become ${to}; add --write to apply`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
