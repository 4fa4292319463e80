#!/usr/bin/env node
/**
 * The two commands of the README, runnable on a fresh clone with only Node 20+ and npm:
 *
 *   npm run demo   install, build, start apps/demo on an embedded store (PGlite)
 *   npm run demo:admin -- <username>   make an existing demo account the admin
 *   npm run docs   install, build the documentation site (apps/docs) and serve it
 *   npm test       install, build, lint, typecheck, check packages, run every test suite
 *
 * pnpm is fetched by npx at the version pinned in package.json's `packageManager`, so no global
 * install is needed. The test command also starts what the suites need from this machine's
 * Debian packages (Chromium for the browser tests; Redis, PostgreSQL and MariaDB if they are
 * installed but stopped). Redis Cluster and dynalite are started by the suites themselves.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The workspace folders whose packages have test suites (pnpm-workspace.yaml). */
const GROUPS = ["packages", "tooling", "tests", "apps", "examples"];
const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const ci = process.env.CI === "true";
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  npm_config_update_notifier: "false",
};

function log(message) {
  console.log(`\n\u001b[1m[tessera] ${message}\u001b[0m`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function must(command, args, what) {
  const status = run(command, args);
  if (status !== 0) {
    console.error(`\n[tessera] ${what} failed (exit ${status})`);
    process.exit(status);
  }
}

/** Runs the pinned pnpm through npx (no global install needed). */
function pnpm(args, what) {
  must("npx", ["--yes", packageManager, ...args], what);
}

function reachable(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function hasCommand(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Chromium from Debian for the browser tests (never a downloaded browser build). */
function ensureChromium() {
  if (existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium")) return;
  if (isRoot && hasCommand("apt-get")) {
    log("installing Debian's chromium for the browser tests");
    const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
    run("apt-get", ["update", "-qq"], { env: aptEnv });
    if (run("apt-get", ["install", "-y", "-qq", "chromium"], { env: aptEnv }) === 0) return;
  }
  const message = "Chromium is not installed (/usr/bin/chromium): browser tests cannot run";
  if (ci) {
    console.error(`[tessera] ${message}`);
    process.exit(1);
  }
  console.warn(`[tessera] WARNING: ${message}; they will be skipped.`);
}

/** Starts the machine's own Redis, PostgreSQL and MariaDB if installed but stopped. */
async function ensureServices() {
  if (!(await reachable(6379)) && hasCommand("redis-server")) {
    log("starting redis-server on 127.0.0.1:6379");
    run("redis-server", [
      "--daemonize",
      "yes",
      "--bind",
      "127.0.0.1",
      "--port",
      "6379",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      "/tmp",
    ]);
  }
  if (!(await reachable(5432)) && hasCommand("pg_ctlcluster") && existsSync("/etc/postgresql")) {
    const [version] = readdirSync("/etc/postgresql");
    if (version) {
      log(`starting PostgreSQL ${version}`);
      run("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"]);
    }
  }
  if (!(await reachable(3306)) && existsSync("/usr/sbin/mariadbd") && isRoot) {
    log("starting MariaDB on 127.0.0.1:3306");
    run("install", ["-d", "-o", "mysql", "-g", "mysql", "/run/mysqld"]);
    run("start-stop-daemon", [
      "--start",
      "--oknodo",
      "--background",
      "--exec",
      "/usr/sbin/mariadbd",
    ]);
    for (let i = 0; i < 60 && !(await reachable(3306)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function install() {
  log(`installing dependencies with ${packageManager}`);
  pnpm(
    ["install", ...(ci || existsSync(join(root, "node_modules")) ? ["--frozen-lockfile"] : [])],
    "install",
  );
}

/** The workspace packages of one role folder (its README.md and other files are not packages). */
function packagesIn(group) {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => existsSync(join(dir, name, "package.json")));
}

/**
 * Adds up the vitest JSON reports of every package into one closing line, and lists each failed
 * test (and each file that failed before its tests ran) with the first lines of its message (no
 * stack), so the end of a long CI log says what broke.
 */
function summarise() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  const firstLines = (text) =>
    stripVTControlCharacters(String(text ?? ""))
      .split("\n")
      .filter((line) => !/^\s+at /.test(line))
      .slice(0, 6)
      .map((line) => `      ${line}`)
      .join("\n");
  for (const group of GROUPS) {
    const dir = join(root, group);
    for (const name of packagesIn(group)) {
      const report = join(dir, name, ".tmp", "vitest.json");
      if (!existsSync(report)) continue;
      const json = JSON.parse(readFileSync(report, "utf8"));
      passed += json.numPassedTests ?? 0;
      failed += json.numFailedTests ?? 0;
      skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
      for (const file of json.testResults ?? []) {
        const where = `${group}/${name}/${relative(join(dir, name), file.name ?? "")}`;
        const tests = (file.assertionResults ?? []).filter((test) => test.status === "failed");
        for (const test of tests) {
          failures.push(`  ${where} > ${test.fullName}\n${firstLines(test.failureMessages?.[0])}`);
        }
        if (tests.length === 0 && file.status === "failed") {
          failures.push(`  ${where} (the file failed)\n${firstLines(file.message)}`);
        }
      }
    }
  }
  return { passed, failed, skipped, failures };
}

async function test() {
  install();
  ensureChromium();
  await ensureServices();
  log("building every package");
  pnpm(["exec", "turbo", "run", "build"], "build");
  log("lint and format (biome)");
  pnpm(["exec", "biome", "check", "."], "lint");
  log("package metadata and licences; GitHub workflows (actionlint)");
  must(process.execPath, ["scripts/package-metadata.mjs", "--check"], "package metadata check");
  must(process.execPath, ["scripts/lint-workflows.mjs"], "workflow lint");
  log("no import cycle in packages/ (dpdm, type imports included)");
  pnpm(["run", "cycles"], "import cycle check");
  log("typecheck, publint and @arethetypeswrong on every package");
  pnpm(["exec", "turbo", "run", "typecheck", "check:package"], "typecheck / package checks");
  log("tests");
  for (const group of GROUPS) {
    for (const name of packagesIn(group)) {
      rmSync(join(root, group, name, ".tmp", "vitest.json"), { force: true });
      mkdirSync(join(root, group, name, ".tmp"), { recursive: true });
    }
  }
  const status = run("npx", [
    "--yes",
    packageManager,
    "exec",
    "turbo",
    "run",
    "test",
    // Everything was built above; without --only the arguments after "--" change the build
    // tasks' hashes and turbo rebuilds every package (next build included) a second time.
    "--only",
    "--concurrency=2",
    "--continue",
    "--",
    "--reporter=default",
    "--reporter=json",
    "--outputFile.json=.tmp/vitest.json",
  ]);
  const { passed, failed, skipped, failures } = summarise();
  if (failures.length > 0) console.log(`\nfailed:\n${failures.join("\n")}`);
  console.log(`\ntessera: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (status !== 0 || failed > 0 || passed === 0) process.exit(status || 1);
}

async function demo() {
  install();
  log("building the demo and the packages it uses");
  pnpm(["exec", "turbo", "run", "build", "--filter=@tessera/demo..."], "build");
  log("starting apps/demo (Ctrl-C to stop)");
  pnpm(["--filter", "@tessera/demo", "start"], "demo");
}

async function demoAdmin(username) {
  if (!username) {
    console.error("usage: npm run demo:admin -- <username>");
    process.exit(2);
  }
  install();
  pnpm(["exec", "turbo", "run", "build", "--filter=@tessera/demo..."], "build");
  pnpm(["--filter", "@tessera/demo", "run", "admin", username], "demo:admin");
}

async function docs() {
  install();
  log("building the packages and the documentation site");
  pnpm(["exec", "turbo", "run", "build", "--filter=@tessera/docs..."], "build");
  log("serving apps/docs (Ctrl-C to stop)");
  pnpm(["--filter", "@tessera/docs", "preview"], "docs");
}

const command = process.argv[2];
if (command === "test") await test();
else if (command === "demo") await demo();
else if (command === "demo-admin") await demoAdmin(process.argv[3]);
else if (command === "docs") await docs();
else {
  console.error("usage: node scripts/tessera.mjs test|demo|demo-admin <username>|docs");
  process.exit(2);
}
