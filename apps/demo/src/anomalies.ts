/** The admin's anomaly page (/admin/anomalies): what @tessera/anomaly found, newest first. */
import type { Anomaly, AnomalyDetectors } from "@tessera/anomaly";
import type {} from "@tessera/hono"; // types c.var.session (ContextVariableMap)
import type { Env, Hono } from "hono";
import { html } from "hono/html";
import type { Account } from "./accounts.js";
import { errorPage, layout } from "./views.js";

function evidence(anomaly: Anomaly): string {
  switch (anomaly.type) {
    case "anomaly.invalid_secrets":
      return `from ${anomaly.ipPrefix}, against ${anomaly.sessionIds.length} session(s)`;
    case "anomaly.reuse_burst":
      return `${anomaly.userIds.length} user(s), from ${anomaly.ipPrefixes.join(", ")}`;
    case "anomaly.impossible_travel":
      return `${anomaly.method}: ${anomaly.sightings.map((s) => s.ipPrefix).join(" → ")}${
        anomaly.speedKmh !== undefined ? ` at ${anomaly.speedKmh} km/h` : ""
      }`;
    case "anomaly.session_burst":
      return `user ${anomaly.userId.slice(0, 8)}, from ${anomaly.ipPrefixes.join(", ")}`;
  }
}

/** The page. */
export function anomaliesPage(account: Account, anomalies: Anomaly[]) {
  return layout(
    "Anomalies",
    account,
    [],
    html`<section>
      <h2>Anomalies</h2>
      <p><a href="/admin/events">Security events</a> · thresholds and limits: see @tessera/anomaly</p>
      ${
        anomalies.length === 0
          ? html`<p>None so far.</p>`
          : html`<table>
        <thead><tr><th>When</th><th>Anomaly</th><th>Count</th><th>Window</th><th>Evidence</th></tr></thead>
        <tbody>
          ${anomalies.map(
            (anomaly) => html`<tr class="anomaly" data-type="${anomaly.type}">
              <td>${anomaly.at.toISOString().replace("T", " ").slice(0, 19)} UTC</td>
              <td><strong>${anomaly.type}</strong></td><td>${anomaly.count}</td>
              <td>${anomaly.windowSeconds} s</td><td>${evidence(anomaly)}</td>
            </tr>`,
          )}
        </tbody>
      </table>`
      }
    </section>`,
  );
}

/**
 * Adds GET /admin/anomalies to the app, for the admin only. Relies on the session middleware
 * createDemoApp installs (`c.var.session`) and on the session data it writes at login.
 */
export function mountAnomalies<E extends Env>(app: Hono<E>, detectors: AnomalyDetectors): void {
  app.get("/admin/anomalies", (c) => {
    const session = c.var.session;
    if (!session) return c.redirect("/", 303);
    const data = session.data as { username?: string; admin?: boolean };
    const account: Account = {
      id: session.userId,
      username: data.username ?? "?",
      isAdmin: data.admin === true,
    };
    if (!account.isAdmin) {
      return c.html(errorPage(account, "Forbidden", "Only the admin can read anomalies."), 403);
    }
    return c.html(anomaliesPage(account, detectors.recent()));
  });
}
