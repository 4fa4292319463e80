/**
 * Finds the machine's MySQL-compatible server (MariaDB here), starting it when it is installed
 * but stopped, and gives this test run a database of its own, dropped at the end: other suites
 * use the same server at the same time, so nothing here touches anything outside that database.
 * Without a server the suites are skipped with a warning, except under CI=true, where the run
 * fails.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import mysql from "mysql2/promise";
import type { TestProject } from "vitest/node";

export interface MySQLTarget {
  /** Server URL without a database. */
  url: string;
  /** This run's database. */
  database: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    mysql: MySQLTarget | null;
  }
}

const MARIADBD = "/usr/sbin/mariadbd";

async function connect(url: string) {
  return mysql.createConnection({ uri: url, connectTimeout: 2000 });
}

/**
 * Starts the machine's MariaDB when it is installed but stopped, and waits for it to answer. Only
 * for the default local server: a server named by MYSQL_URL is someone else's to start.
 */
async function startMariaDB(url: string): Promise<void> {
  if (process.env.MYSQL_URL || !existsSync(MARIADBD) || process.getuid?.() !== 0) return;
  console.warn(`\n[@tessera/mysql] MariaDB is not answering: starting ${MARIADBD}\n`);
  spawnSync("install", ["-d", "-o", "mysql", "-g", "mysql", "/run/mysqld"]);
  spawnSync("start-stop-daemon", ["--start", "--oknodo", "--background", "--exec", MARIADBD]);
  for (let i = 0; i < 60; i++) {
    try {
      await (await connect(url)).end();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.MYSQL_URL || "mysql://root@127.0.0.1:3306";
  const where = url.replace(/\/\/[^@/]*@/, "//");
  let admin: mysql.Connection;
  try {
    admin = await connect(url).catch(async () => {
      await startMariaDB(url);
      return connect(url);
    });
  } catch (error) {
    const message = `MySQL/MariaDB is unreachable at ${where} (${(error as Error).message})`;
    if (process.env.CI === "true") {
      throw new Error(`${message}: with CI=true the MySQL suites must run, not skip`);
    }
    console.warn(`\n[@tessera/mysql] WARNING: ${message}. Every server suite is SKIPPED.\n`);
    project.provide("mysql", null);
    return;
  }
  const suffix = Math.random().toString(36).slice(2, 8);
  const database = `tessera_test_${Date.now().toString(36)}_${suffix}`;
  await admin.query(`CREATE DATABASE \`${database}\``);
  await admin.end();
  project.provide("mysql", { url, database });

  return async () => {
    const cleanup = await connect(url);
    try {
      // Only this run's own database, never anything shared.
      await cleanup.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await cleanup.end();
    }
  };
}
