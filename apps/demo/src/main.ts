/**
 * Starts the demo: `PORT` (default 3000), `STORE` = pglite (default, embedded, persisted in
 * `DATA_DIR`) | redis (`REDIS_URL`) | postgres (`DATABASE_URL`) | dynamodb (`DYNAMODB_ENDPOINT`,
 * `DYNAMODB_TABLE`); `DEMO_ADMIN` names the admin account. Prints the store in use and the URL.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createDbsc } from "@tessera/dbsc";
import { createAccounts } from "./accounts.js";
import { mountAnomalies } from "./anomalies.js";
import { createDemoApp } from "./app.js";
import { createAudit } from "./audit.js";
import { readConfig } from "./config.js";
import { createAttemptLimits, createHashGate } from "./limits.js";
import { startOperations } from "./operations.js";
import { openStore } from "./stores.js";

const config = readConfig(process.env);
const opened = await openStore(config);
const audit = createAudit(opened.database);
const operations = startOperations(process.env);
const sessions = operations.telemetry.createSessions({
  store: opened.store,
  idleTimeout: config.idleTimeout,
  absoluteTimeout: config.absoluteTimeout,
  rotation: { interval: config.rotationInterval, grace: config.rotationGrace },
  binding: { ip: "soft", userAgent: "soft" },
  freshFor: config.freshFor,
  // The default class is "remember me" unticked: the cookie ends with the browser.
  cookie: { secure: config.secureCookies, persistent: false },
  policies: {
    // "Remember me" ticked: a persistent cookie, a week idle, a month at most.
    remembered: {
      idleTimeout: Math.max(config.idleTimeout, 7 * 24 * 60 * 60),
      absoluteTimeout: Math.max(config.absoluteTimeout, 30 * 24 * 60 * 60),
      persistent: true,
    },
  },
  // Support tools: only the admin may act as another user (never as another admin).
  impersonation: {
    canImpersonate: async (userId) => (await accounts.find(userId))?.isAdmin === true,
  },
  onEvent: (event) => {
    audit.record(event);
    operations.detectors.observe(event);
  },
});
const accounts = createAccounts(
  opened.database,
  createHashGate(
    config.limits.hashConcurrency,
    config.limits.hashQueue,
    config.limits.hashPerAddress,
  ),
);
if (config.adminUsername) {
  // The admin is named by the operator, never "whoever signs up first".
  if (await accounts.promote(config.adminUsername)) {
    console.log(`Tessera demo: ${config.adminUsername} is the admin (DEMO_ADMIN)`);
  } else {
    console.warn(
      `Tessera demo: DEMO_ADMIN=${config.adminUsername}, but no such account: sign up as ${config.adminUsername}, then restart`,
    );
  }
}
const app = createDemoApp({
  sessions,
  accounts,
  audit,
  limits: createAttemptLimits(config.limits),
  storeName: opened.name,
  clientIp: (c) => getConnInfo(c).remote.address,
  // 503s (and every other refusal) counted in the `tessera.http.answers` metric.
  onRefusal: (answer) => operations.telemetry.recordAnswer(answer.status),
  // Device-bound sessions: browsers with DBSC keep a key; a copied cookie dies at its next refresh.
  ...(config.dbsc ? { dbsc: createDbsc(sessions, { cookieTtl: config.dbscCookieTtl }) } : {}),
});
mountAnomalies(app, operations.detectors);

const tls = config.tls;
const server = serve(
  {
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    ...(tls
      ? {
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
        }
      : {}),
  },
  (info) => {
    console.log(`Tessera demo: sessions in ${opened.name}`);
    console.log(`Tessera demo: listening on ${tls ? "https" : "http"}://localhost:${info.port}`);
  },
);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    audit
      .flush()
      .then(() => operations.shutdown())
      .then(() => opened.close())
      .finally(() => process.exit(0));
  });
}
