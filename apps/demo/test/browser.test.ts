/**
 * The demo as a person uses it, in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): two devices, revoking one from the other, a stolen cookie replayed after
 * rotation, step-up before a sensitive action. Screenshots land in apps/demo/.tmp/screenshots.
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, makeDataDir, removeDataDir, startDemo } from "./demo-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium package`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING the demo's browser tests: ${message} !!!\n`);
}

const shots = fileURLToPath(new URL("../.tmp/screenshots/", import.meta.url));
const ROTATION_INTERVAL = 2;
const GRACE = 1;
const FRESH_FOR = 4;

let demo: DemoServer;
let browser: Browser;
const dataDir = makeDataDir();

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(shots, { recursive: true });
  const settings = {
    TESSERA_ROTATION_INTERVAL: String(ROTATION_INTERVAL),
    TESSERA_ROTATION_GRACE: String(GRACE),
    TESSERA_FRESH_FOR: String(FRESH_FOR),
  };
  // The operator's bootstrap: alice signs up like anyone, then the server restarts naming her admin.
  const first = await startDemo(settings, { dataDir });
  const signup = await fetch(`${first.url}/signup`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "alice", password: "alice's long password" }),
    redirect: "manual",
  });
  expect(signup.status).toBe(303);
  await first.stop();
  demo = await startDemo({ ...settings, DEMO_ADMIN: "alice" }, { dataDir });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  removeDataDir(dataDir);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function device(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

async function signUp(page: Page, username: string, password: string) {
  await page.goto(demo.url);
  await page.fill('form[action="/signup"] input[name=username]', username);
  await page.fill('form[action="/signup"] input[name=password]', password);
  await page.click('form[action="/signup"] button');
  await page.waitForURL("**/account");
}

async function logIn(page: Page, username: string, password: string) {
  await page.goto(demo.url);
  await page.fill('form[action="/login"] input[name=username]', username);
  await page.fill('form[action="/login"] input[name=password]', password);
  await page.click('form[action="/login"] button');
  await page.waitForURL("**/account");
}

async function sessionCookie(context: BrowserContext) {
  const cookies = await context.cookies(demo.url);
  return cookies.find((cookie) => cookie.name === "__Host-session");
}

describe.skipIf(!haveChromium)("demo in a browser", () => {
  it("logs in with a session cookie that is HttpOnly, Secure, __Host- and SameSite=Lax", async () => {
    const { context, page } = await device();
    await logIn(page, "alice", "alice's long password");
    expect(await page.locator("h2").first().textContent()).toContain("Signed in as alice");
    expect(demo.output()).toContain("alice is the admin (DEMO_ADMIN)");
    expect((await page.getByTestId("fresh").textContent())?.trim()).toBe("fresh");
    const cookie = await sessionCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(cookie!.value.length).toBeLessThanOrEqual(64);
    await page.screenshot({ path: `${shots}account.png`, fullPage: true });
    await page.goto(`${demo.url}/`);
    await context.close();
  });

  it("lists two devices and logs one out from the other at its next click", async () => {
    const laptop = await device();
    const phone = await device();
    await logIn(laptop.page, "alice", "alice's long password");
    await logIn(phone.page, "alice", "alice's long password");

    await phone.page.goto(`${demo.url}/devices`);
    const rows = phone.page.locator("tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    expect(await phone.page.locator("tr", { hasText: "this device" }).count()).toBe(1);
    await phone.page.screenshot({ path: `${shots}devices.png`, fullPage: true });

    const laptopId = (await laptop.page.locator("code").first().textContent())!.trim();
    await phone.page.click(`tr[data-session="${laptopId}"] button`);
    await phone.page.waitForURL("**/devices?m=revoked");
    expect(await phone.page.locator(`tr[data-session="${laptopId}"]`).count()).toBe(0);

    await laptop.page.click('a[href="/devices"]');
    await laptop.page.waitForURL((url) => url.pathname === "/");
    expect(await laptop.page.locator(".notice.warn").textContent()).toContain(
      "Your session has ended",
    );
    expect(await sessionCookie(laptop.context)).toBeUndefined();

    // "Log out everywhere else" from the phone ends every other session but its own.
    const tablet = await device();
    await logIn(tablet.page, "alice", "alice's long password");
    await phone.page.goto(`${demo.url}/devices`);
    await phone.page.click('form[action="/devices/revoke-others"] button');
    await phone.page.waitForURL("**/devices?m=others-revoked");
    expect(await phone.page.locator("tbody tr").count()).toBe(1);
    await tablet.page.goto(`${demo.url}/account`);
    await tablet.page.waitForURL((url) => url.pathname === "/");

    await Promise.all([laptop.context.close(), phone.context.close(), tablet.context.close()]);
  });

  it("revokes the session when a copied cookie is replayed after rotation, and lists the event", async () => {
    const victim = await device();
    await logIn(victim.page, "alice", "alice's long password");
    const stolen = (await sessionCookie(victim.context))!;

    await sleep(ROTATION_INTERVAL * 1000 + 200);
    await victim.page.goto(`${demo.url}/account`);
    expect(await victim.page.locator(".notice.info").textContent()).toContain(
      "rotated on this request",
    );
    const rotated = (await sessionCookie(victim.context))!;
    expect(rotated.value).not.toBe(stolen.value);
    expect(rotated.value.split(".")[0]).toBe(stolen.value.split(".")[0]);
    await victim.page.screenshot({ path: `${shots}rotated.png`, fullPage: true });
    // The victim's next click presents the new cookie: the rotation is confirmed (until then, the
    // old cookie would be re-sent the new one, as for a response lost on the way).
    await victim.page.goto(`${demo.url}/devices`);
    expect(victim.page.url()).toContain("/devices");

    // The thief replays the old cookie after the grace window.
    await sleep(GRACE * 1000 + 300);
    const thief = await device();
    await thief.context.addCookies([{ ...stolen, expires: -1 }]);
    await thief.page.goto(`${demo.url}/account`);
    await thief.page.waitForURL((url) => url.pathname === "/");
    expect(await thief.page.locator(".notice.warn").textContent()).toContain(
      "old copy of its cookie",
    );

    // Both parties are out: the victim logs in again, as the page asks.
    await victim.page.goto(`${demo.url}/devices`);
    await victim.page.waitForURL((url) => url.pathname === "/");

    const admin = await device();
    await logIn(admin.page, "alice", "alice's long password");
    await admin.page.goto(`${demo.url}/admin/events`);
    await admin.page.locator('tr[data-type="session.reuse_detected"]').first().waitFor();
    await admin.page.locator('tr[data-type="session.rotated"]').first().waitFor();
    await admin.page.screenshot({ path: `${shots}events.png`, fullPage: true });

    await Promise.all([victim.context.close(), thief.context.close(), admin.context.close()]);
  });

  it("asks for the password again before a sensitive action once the login is no longer fresh", async () => {
    const { context, page } = await device();
    await signUp(page, "bob", "bob's long password");
    await page.goto(`${demo.url}/security`);
    expect((await page.locator("h2").textContent())?.trim()).toBe("Change password");

    await sleep(FRESH_FOR * 1000 + 300);
    await page.goto(`${demo.url}/security`);
    expect((await page.locator("h2").textContent())?.trim()).toBe("Confirm it is you");
    await page.screenshot({ path: `${shots}step-up.png`, fullPage: true });

    await page.fill('form[action="/security/confirm"] input[name=password]', "wrong password");
    await page.click('form[action="/security/confirm"] button');
    expect((await page.locator(".notice.error").textContent())?.trim()).toBe("Wrong password.");

    await page.fill('form[action="/security/confirm"] input[name=password]', "bob's long password");
    await page.click('form[action="/security/confirm"] button');
    await page.waitForURL("**/security?m=confirmed");
    expect((await page.locator("h2").textContent())?.trim()).toBe("Change password");
    await page.fill('form[action="/security/password"] input[name=password]', "bob's new password");
    await page.click('form[action="/security/password"] button');
    await page.waitForURL("**/security?m=password-changed");

    await page.goto(`${demo.url}/`);
    await page.screenshot({ path: `${shots}start.png`, fullPage: true });
    await context.close();
  });

  it("keeps the admin's event log away from other users", async () => {
    const { context, page } = await device();
    await logIn(page, "bob", "bob's new password");
    const response = await page.goto(`${demo.url}/admin/events`);
    expect(response?.status()).toBe(403);
    await context.close();
  });
});

describe.skipIf(!haveChromium)("session policies in a browser", () => {
  it("carries a visitor's cart into the session at login, under a new token", async () => {
    const setup = await device();
    await signUp(setup.page, "carol", "carol's long password");
    await setup.context.close();

    const { context, page } = await device();
    await page.goto(demo.url);
    await page.click('form[action="/cart"]:has(input[value="tea"]) button');
    await page.click('form[action="/cart"]:has(input[value="mug"]) button');
    expect(await page.getByTestId("cart").textContent()).toBe("tea, mug");
    const guest = await sessionCookie(context);
    expect(guest, "a guest session cookie").toBeDefined();

    await logIn(page, "carol", "carol's long password");
    expect(await page.getByTestId("cart").textContent()).toBe("tea, mug");
    const user = await sessionCookie(context);
    expect(user!.value.split(".")[0]).not.toBe(guest!.value.split(".")[0]);
    await page.screenshot({ path: `${shots}cart-after-login.png`, fullPage: true });

    // The guest's token died with the upgrade: presented alone, it is no session and no cart.
    const copy = await browser.newContext();
    await copy.addCookies([{ ...guest!, expires: -1 }]);
    const copyPage = await copy.newPage();
    await copyPage.goto(demo.url);
    expect(await copyPage.getByTestId("cart").textContent()).toBe("empty");
    await copy.close();
    await context.close();
  });

  it("remember me decides whether the cookie outlives the browser", async () => {
    const { context, page } = await device();
    await logIn(page, "carol", "carol's long password");
    const unticked = await sessionCookie(context);
    expect(unticked!.expires, "a browser-session cookie").toBe(-1);
    expect(await page.getByTestId("policy").textContent()).toBe("default");
    await page.click('form[action="/logout"] button');

    await page.goto(demo.url);
    await page.fill('form[action="/login"] input[name=username]', "carol");
    await page.fill('form[action="/login"] input[name=password]', "carol's long password");
    await page.check('form[action="/login"] input[name=remember]');
    await page.click('form[action="/login"] button');
    await page.waitForURL("**/account");
    const ticked = await sessionCookie(context);
    // Max-Age runs to the earlier expiry: the remembered class's week of idleness.
    expect(ticked!.expires * 1000).toBeGreaterThan(Date.now() + 6 * 24 * 60 * 60 * 1000);
    expect(await page.getByTestId("policy").textContent()).toBe("remembered");
    await context.close();
  });

  it("lets the admin act as a user from the events page, never fresh, and come back", async () => {
    const { context, page } = await device();
    await logIn(page, "alice", "alice's long password");
    await page.goto(`${demo.url}/admin/events`);
    await page.fill('form[action="/admin/impersonate"] input[name=username]', "carol");
    await page.fill('form[action="/admin/impersonate"] input[name=reason]', "ticket 4521");
    await page.click('form[action="/admin/impersonate"] button');
    await page.waitForURL("**/account");
    expect(await page.locator("h2").first().textContent()).toContain("Signed in as carol");
    expect(await page.getByTestId("impersonating").textContent()).toContain("acting as carol");
    expect((await page.getByTestId("fresh").textContent())?.trim()).toBe("not fresh");
    await page.screenshot({ path: `${shots}impersonating.png`, fullPage: true });
    // The sensitive page stays closed: an impersonation session is never fresh.
    await page.goto(`${demo.url}/security`);
    expect(await page.locator("h2").first().textContent()).toContain("Confirm it is you");
    // Carol sees the support session among her devices.
    await page.goto(`${demo.url}/devices`);

    await page.click('form[action="/impersonation/stop"] button');
    await page.waitForURL("**/admin/events?m=impersonation-ended");
    expect(await page.getByText("You are back in your own session.").count()).toBe(1);
    const types = await page
      .locator("tr.event")
      .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-type")));
    expect(types).toContain("session.impersonation_started");
    expect(types).toContain("session.impersonation_ended");

    // Acting as oneself is refused with a page, not an error.
    await page.fill('form[action="/admin/impersonate"] input[name=username]', "alice");
    await page.fill('form[action="/admin/impersonate"] input[name=reason]', "testing");
    const [refused] = await Promise.all([
      page.waitForResponse((response) => response.url().endsWith("/admin/impersonate")),
      page.click('form[action="/admin/impersonate"] button'),
    ]);
    expect(refused.status()).toBe(403);
    expect(await page.getByText("You cannot act as yourself.").count()).toBe(1);
    await context.close();
  });
});
