#!/usr/bin/env node
/**
 * The Next.js 15 twins of the two Next.js apps run the very sources of the Next.js 16 apps:
 *
 *   examples/next-15    ← examples/next    (app/, lib/, test/)
 *   tests/next-reference-15  ← tests/next-reference  (app/, lib/, test/)
 *
 * A twin keeps in git only what differs between the majors (package.json, next.config.ts,
 * tsconfig.json, middleware.ts instead of proxy.ts, vitest.config.ts); the copied folders are
 * git-ignored. The twins' build, typecheck and test scripts run this first:
 *
 *   node ../../scripts/copy-next-sources.mjs     from a twin's folder: that twin
 *   node scripts/copy-next-sources.mjs           from the root: every twin
 *
 * It syncs rather than recopies: a file is written only when its content differs and a file the
 * source no longer has is deleted, so two runs at once (a build beside a typecheck) see the same
 * files throughout. Each twin's turbo.json lists the source folders as inputs, so turbo's cache
 * of the twin's build follows edits to the source app.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Twin folder → the app it copies and the folders it takes from it. */
const TWINS = {
  "examples/next-15": { from: "examples/next", folders: ["app", "lib", "test"] },
  "tests/next-reference-15": { from: "tests/next-reference", folders: ["app", "lib", "test"] },
};

/** Makes `to` hold exactly the files of `from`; returns how many files it wrote or deleted. */
function sync(from, to) {
  let changed = 0;
  mkdirSync(to, { recursive: true });
  const wanted = new Set(readdirSync(from));
  for (const name of readdirSync(to)) {
    if (!wanted.has(name)) {
      rmSync(join(to, name), { recursive: true, force: true });
      changed++;
    }
  }
  for (const name of wanted) {
    const source = join(from, name);
    const target = join(to, name);
    if (statSync(source).isDirectory()) {
      if (existsSync(target) && !statSync(target).isDirectory()) rmSync(target);
      changed += sync(source, target);
      continue;
    }
    if (existsSync(target) && statSync(target).isDirectory()) {
      rmSync(target, { recursive: true });
    }
    const content = readFileSync(source);
    if (existsSync(target) && readFileSync(target).equals(content)) continue;
    writeFileSync(target, content);
    changed++;
  }
  return changed;
}

/** Copies the sources of one twin (a key of TWINS). */
function copyTwin(twin) {
  const { from, folders } = TWINS[twin];
  let changed = 0;
  for (const folder of folders) changed += sync(join(root, from, folder), join(root, twin, folder));
  return changed;
}

const here = relative(root, process.cwd()).split("\\").join("/");
const twins = here in TWINS ? [here] : Object.keys(TWINS);
for (const twin of twins) {
  const changed = copyTwin(twin);
  const { from, folders } = TWINS[twin];
  console.log(
    `[copy-next-sources] ${twin}: ${folders.join("/, ")}/ from ${from} (${changed} changed)`,
  );
}
