/**
 * The changelog generator of `changeset version`: each entry is the changeset's text followed by a
 * link to the commit that added it, on the repository named in the root package.json. It works
 * offline (the commit comes from the local git history, which changesets reads itself), unlike
 * generators that ask GitHub's API for pull requests and authors.
 */
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

/** `https://github.com/owner/name` from the root package.json's `repository`. */
function repositoryUrl(options) {
  if (options && typeof options.repository === "string") return options.repository;
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
  const url = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  if (!url)
    throw new Error("set `repository` in the root package.json (scripts/package-metadata.mjs)");
  return url.replace(/^git\+/, "").replace(/\.git$/, "");
}

function commitLink(commit, options) {
  return `[\`${commit.slice(0, 7)}\`](${repositoryUrl(options)}/commit/${commit})`;
}

async function getReleaseLine(changeset, _type, options) {
  const lines = changeset.summary
    .trim()
    .split("\n")
    .map((line) => line.trimEnd());
  // The link ends the first paragraph, which may run over several lines.
  const blank = lines.indexOf("");
  const end = blank === -1 ? lines.length - 1 : blank - 1;
  if (changeset.commit) lines[end] += ` (${commitLink(changeset.commit, options)})`;
  return lines.map((line, i) => (i === 0 ? `- ${line}` : line ? `  ${line}` : "")).join("\n");
}

async function getDependencyReleaseLine(changesets, dependenciesUpdated, options) {
  if (dependenciesUpdated.length === 0) return "";
  const commits = changesets.filter((changeset) => changeset.commit);
  const links = commits.map((changeset) => commitLink(changeset.commit, options)).join(", ");
  const updated = dependenciesUpdated.map((dep) => `  - ${dep.name}@${dep.newVersion}`);
  return [`- Updated dependencies${links ? ` (${links})` : ""}`, ...updated].join("\n");
}

module.exports = { default: { getReleaseLine, getDependencyReleaseLine } };
