/**
 * Server-rendered pages. `html` escapes every interpolated value, so user input (usernames,
 * user agents) cannot inject markup.
 */
import type { DeviceSession, Session } from "@tessera/core";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Account } from "./accounts.js";
import type { LoggedEvent } from "./audit.js";

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { max-width: 860px; margin: 0 auto; padding: 24px; }
  header { display: flex; align-items: center; gap: 16px; margin-bottom: 24px; }
  header h1 { font-size: 20px; margin: 0 auto 0 0; }
  header a { color: #1d4ed8; text-decoration: none; }
  section { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
  h2 { font-size: 17px; margin-top: 0; }
  form.inline { display: inline; }
  label { display: block; margin: 8px 0; }
  input[type=text], input[type=password] { padding: 6px 8px; width: 240px; }
  button { padding: 6px 12px; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; border-radius: 4px; cursor: pointer; }
  button.secondary { background: #fff; color: #1d4ed8; }
  button.danger { background: #b91c1c; border-color: #b91c1c; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef2; font-size: 14px; }
  .notice { padding: 10px 14px; border-radius: 6px; margin-bottom: 16px; }
  .notice.info { background: #e0ecff; }
  .notice.warn { background: #fff4d6; }
  .notice.error { background: #fde2e2; }
  .tag { font-size: 12px; padding: 2px 6px; border-radius: 4px; background: #dcfce7; }
  .tag.stale { background: #f1f2f4; }
  .tag.bound { background: #dbeafe; }
  .muted { color: #667085; font-size: 13px; }
  .shop form { display: inline-block; margin: 4px 6px 4px 0; }
  input[type=checkbox] { margin-right: 6px; }
  code { font-size: 13px; }
`;

/** A message shown at the top of a page. */
export interface Notice {
  kind: "info" | "warn" | "error";
  text: string;
}

function time(date: Date): string {
  return date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** The page frame with the navigation. */
export function layout(title: string, account: Account | null, notices: Notice[], body: Markup) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · Tessera demo</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <header>
      <h1>Tessera demo</h1>
      ${
        account
          ? html`<a href="/account">Account</a><a href="/devices">Devices</a
              ><a href="/security">Security</a>${account.isAdmin ? html`<a href="/admin/events">Events</a><a href="/admin/anomalies">Anomalies</a>` : ""}
              <form class="inline" method="post" action="/logout">
                <button class="secondary" type="submit">Log out</button>
              </form>`
          : ""
      }
    </header>
    ${
      account?.impersonatedBy
        ? html`<div class="notice warn" role="status" data-testid="impersonating">
            Support session: you are acting as <strong>${account.username}</strong>. It is logged, never
            counts as a fresh login, and ends on its own within the hour.
            <form class="inline" method="post" action="/impersonation/stop">
              <button class="secondary" type="submit">Stop acting as ${account.username}</button>
            </form>
          </div>`
        : ""
    }
    ${notices.map((notice) => html`<div class="notice ${notice.kind}" role="status">${notice.text}</div>`)}
    ${body}
  </body>
</html>`;
}

/** The items a visitor can put in the cart (the demo's "shop"). */
export const SHOP_ITEMS: readonly string[] = ["tea", "mug", "notebook", "pen"];

/** The cart and the buttons that fill it (a visitor's cart lives in a guest session). */
function shop(cart: string[], visitor: boolean) {
  return html`<section class="shop">
    <h2>Shop</h2>
    <p class="muted">${
      visitor
        ? "No account needed: your cart lives in a guest session, and comes with you when you log in."
        : "Your cart is kept in your session."
    }</p>
    <p>Cart (<span data-testid="cart-count">${cart.length}</span>):
      <span data-testid="cart">${cart.length > 0 ? cart.join(", ") : "empty"}</span></p>
    ${SHOP_ITEMS.map(
      (item) =>
        html`<form method="post" action="/cart"><input type="hidden" name="item" value="${item}" /><button class="secondary" type="submit">Add ${item}</button></form>`,
    )}
  </section>`;
}

/** Log-in and sign-up forms, and the shop a visitor can use before logging in. */
export function landingPage(notices: Notice[], username = "", cart: string[] = []) {
  return layout(
    "Welcome",
    null,
    notices,
    html`<section>
        <h2>Log in</h2>
        <form method="post" action="/login">
          <label>Username <input type="text" name="username" value="${username}" autocomplete="username" required /></label>
          <label>Password <input type="password" name="password" autocomplete="current-password" required /></label>
          <label><input type="checkbox" name="remember" />Remember me (otherwise the session ends when you close the browser)</label>
          <button type="submit">Log in</button>
        </form>
      </section>
      ${shop(cart, true)}
      <section>
        <h2>Create an account</h2>
        <p class="muted">The admin, named by whoever runs this server (<code>DEMO_ADMIN</code> or <code>npm run demo:admin</code>), can read every security event.</p>
        <form method="post" action="/signup">
          <label>Username <input type="text" name="username" autocomplete="username" required /></label>
          <label>Password (8+ characters) <input type="password" name="password" autocomplete="new-password" required /></label>
          <button type="submit">Sign up</button>
        </form>
      </section>`,
  );
}

/** The signed-in home page: who you are and what this session looks like. */
export function accountPage(
  account: Account,
  session: Session,
  details: { rotatedNow: boolean; rotations: number; storeName: string; cart: string[] },
  notices: Notice[],
) {
  const extra: Notice[] = [...notices];
  if (details.rotatedNow) {
    extra.push({
      kind: "info",
      text: "Your session token was rotated on this request: the old cookie now works only for a short grace period.",
    });
  }
  if (session.bindingChanged) {
    extra.push({
      kind: "warn",
      text: "This session moved to a different network or browser: confirm your password before sensitive actions.",
    });
  }
  return layout(
    "Account",
    account,
    extra,
    html`<section>
      <h2>Signed in as ${account.username}${account.isAdmin ? html` <span class="tag">admin</span>` : ""}</h2>
      <table>
        <tr><th>Session id</th><td><code>${session.id}</code></td></tr>
        <tr><th>Started</th><td>${time(session.createdAt)}</td></tr>
        <tr><th>Last password check</th><td>${time(session.authenticatedAt)}
          ${session.fresh ? html`<span class="tag" data-testid="fresh">fresh</span>` : html`<span class="tag stale" data-testid="fresh">not fresh</span>`}</td></tr>
        <tr><th>Expires if idle</th><td>${time(session.expiresAt)}</td></tr>
        <tr><th>Ends at the latest</th><td>${time(session.absoluteExpiresAt)}</td></tr>
        <tr><th>Token rotations</th><td data-testid="rotations">${details.rotations}</td></tr>
        <tr><th>Session store</th><td>${details.storeName}</td></tr>
        <tr><th>Session class</th><td data-testid="policy">${session.policy}</td></tr>
      </table>
    </section>
    ${shop(details.cart, false)}`,
  );
}

/** The "your devices" page. */
export function devicesPage(account: Account, devices: DeviceSession[], notices: Notice[]) {
  return layout(
    "Devices",
    account,
    notices,
    html`<section>
      <h2>Your devices (${devices.length})</h2>
      <table>
        <thead><tr><th>Browser</th><th>Network</th><th>Last active</th><th>Signed in</th><th></th></tr></thead>
        <tbody>
          ${devices.map(
            (device) => html`<tr data-session="${device.id}">
              <td>${device.client.browser ?? "unknown"} on ${device.client.os ?? "unknown"}
                ${device.current ? html` <span class="tag">this device</span>` : ""}
                ${
                  device.deviceBound
                    ? html` <span class="tag bound" title="Its cookie only works in the browser holding this session's key (DBSC)">device-bound</span>`
                    : ""
                }</td>
              <td>${device.client.ipPrefix ?? "unknown"}</td>
              <td>${time(device.lastActiveAt)}</td>
              <td>${time(device.createdAt)}</td>
              <td>${
                device.current
                  ? ""
                  : html`<form class="inline" method="post" action="/devices/${device.id}/revoke">
                      <button class="danger" type="submit">Revoke</button></form>`
              }</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section>
      <h2>Log out everywhere else</h2>
      <p>Ends every session of your account except this one, on every server, at once.</p>
      <form method="post" action="/devices/revoke-others">
        <button class="danger" type="submit">Log out other devices</button>
      </form>
    </section>`,
  );
}

/** The sensitive page: change password, after a fresh password check. */
export function securityPage(account: Account, session: Session, notices: Notice[]) {
  const body = session.fresh
    ? html`<section>
        <h2>Change password</h2>
        <p class="muted">You confirmed your password recently, so this sensitive action is open.
          Changing the password logs out your other devices.</p>
        <form method="post" action="/security/password">
          <label>New password <input type="password" name="password" autocomplete="new-password" required /></label>
          <button type="submit">Change password</button>
        </form>
      </section>`
    : html`<section>
        <h2>Confirm it is you</h2>
        <p>Changing your password needs a recent password check (step-up).</p>
        <form method="post" action="/security/confirm">
          <label>Password <input type="password" name="password" autocomplete="current-password" required /></label>
          <button type="submit">Confirm</button>
        </form>
      </section>`;
  return layout("Security", account, notices, body);
}

/** The admin's view of recent security events. */
export function eventsPage(account: Account, events: LoggedEvent[], notices: Notice[] = []) {
  return layout(
    "Security events",
    account,
    notices,
    html`<section>
      <h2>Act as a user (support)</h2>
      <p class="muted">Opens a support session of that user in this browser: marked, in the audit log, never fresh
        (no password change, no payment), at most an hour. Stopping it brings you back to your own session.</p>
      <form method="post" action="/admin/impersonate">
        <label>Username <input type="text" name="username" required /></label>
        <label>Reason <input type="text" name="reason" required /></label>
        <button type="submit">Act as this user</button>
      </form>
    </section>
    <section>
      <h2>Recent security events</h2>
      <table>
        <thead><tr><th>When</th><th>Event</th><th>Session</th><th>User</th><th>Detail</th><th>Client</th></tr></thead>
        <tbody>
          ${events.map(
            (event) => html`<tr class="event" data-type="${event.type}">
              <td>${time(event.at)}</td><td><strong>${event.type}</strong></td>
              <td><code>${event.sessionId?.slice(0, 8) ?? ""}</code></td>
              <td><code>${event.userId?.slice(0, 8) ?? ""}</code></td>
              <td>${event.detail ?? ""}</td><td>${event.client ?? ""}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>`,
  );
}

/** A plain error page: a status, a sentence, a way back. Never a stack trace. */
export function errorPage(account: Account | null, title: string, text: string) {
  return layout(
    title,
    account,
    [{ kind: "error", text }],
    html`<section><a href="/">Back to the start page</a></section>`,
  );
}
