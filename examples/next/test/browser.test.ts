/**
 * The example in a real browser: Debian's Chromium driven by playwright-core (no browser is
 * ever downloaded). Cookies, redirects and server actions as a user meets them.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDir, NEXT_VERSION, pause, type RunningApp, startApp } from "./server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const COOKIE = "__Host-session";
const shots = `${appDir}.tmp/`;
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  if (process.env.CI === "true") {
    throw new Error(`Chromium is required for the browser tests: ${CHROMIUM} is missing`);
  }
  console.warn(
    `\n[next-example] WARNING: ${CHROMIUM} is missing; the browser tests are SKIPPED ` +
      "(apt-get install -y chromium)\n",
  );
}

describe.skipIf(!hasChromium)(`next-example in Chromium on Next.js ${NEXT_VERSION}`, () => {
  let app: RunningApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  }

  async function sessionCookie(page: Page) {
    const cookies = await page.context().cookies(app.url);
    return cookies.find((cookie) => cookie.name === COOKIE);
  }

  async function logIn(page: Page, username = "alice", password = "wonderland") {
    await page.goto(`${app.url}/login`);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${app.url}/devices`);
  }

  async function currentSessionId(page: Page): Promise<string> {
    const text = await page.getByTestId("session-id").textContent();
    const id = /^Session (\S+)$/.exec(text ?? "")?.[1];
    expect(id).toBeDefined();
    return id!;
  }

  it("logs in through the form (a server action) and sets a secure, HttpOnly cookie", async () => {
    const page = await newPage();
    await page.goto(`${app.url}/devices`);
    await page.waitForURL(`${app.url}/login`);
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Wrong username or password.").waitFor();
    expect(await sessionCookie(page)).toBeUndefined();

    await logIn(page);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Signed in as Alice");
    const cookie = await sessionCookie(page);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(cookie?.value.startsWith(`${await currentSessionId(page)}.`)).toBe(true);
    await page.screenshot({ path: `${shots}devices.png`, fullPage: true });
  });

  it("delivers the rotated cookie to the browser and keeps the user signed in", async () => {
    const page = await newPage();
    await logIn(page);
    const id = await currentSessionId(page);
    const before = (await sessionCookie(page))?.value;
    await pause(2_200); // past the 2-second rotation interval of the test server
    await page.reload();
    const after = (await sessionCookie(page))?.value;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(after?.startsWith(`${id}.`)).toBe(true);
    // Past the grace window the old secret would be treated as stolen: the browser must be
    // using the new one for this navigation to succeed.
    await pause(1_200);
    await page.goto(`${app.url}/devices`);
    expect(page.url()).toBe(`${app.url}/devices`);
    expect(await currentSessionId(page)).toBe(id);
  });

  it("rejects a revoked session on the next navigation and sends it to the login page", async () => {
    const laptop = await newPage();
    await logIn(laptop);
    const laptopSession = await currentSessionId(laptop);
    const phone = await newPage();
    await logIn(phone);
    await phone.reload(); // the list is rendered after both logins
    const row = phone.locator(`[data-session-id="${laptopSession}"]`);
    await row.getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => row.count()).toBe(0);
    await phone.screenshot({ path: `${shots}revoked-one.png`, fullPage: true });

    await laptop.goto(`${app.url}/devices`);
    await laptop.waitForURL(`${app.url}/login`);
    expect(await sessionCookie(laptop)).toBeUndefined(); // the dead cookie was cleared
    await laptop.screenshot({ path: `${shots}revoked-redirect.png`, fullPage: true });
  });

  it("logs out everywhere with a server action, even when the same request rotates", async () => {
    const first = await newPage();
    await logIn(first);
    const second = await newPage();
    await logIn(second);
    const other = await newPage();
    await logIn(other, "bob", "builder");

    await pause(2_200); // the proxy rotates the session on the action's own request
    await first.getByRole("button", { name: "Log out everywhere" }).click();
    await first.waitForURL(`${app.url}/login`);
    expect(await sessionCookie(first)).toBeUndefined();

    await second.goto(`${app.url}/devices`);
    await second.waitForURL(`${app.url}/login`);
    await other.goto(`${app.url}/devices`); // another user's session is untouched
    await expect.poll(() => other.locator("h1").textContent()).toBe("Signed in as Bob");
    await first.screenshot({ path: `${shots}logged-out-everywhere.png`, fullPage: true });
  });

  it("logs in again over a revoked session cookie, replacing it", async () => {
    const page = await newPage();
    await logIn(page);
    const stale = await currentSessionId(page);
    await page.goto(`${app.url}/login`);
    // The session dies while the login form is open; the form's request still carries it.
    const admin = await newPage();
    await logIn(admin);
    await admin
      .locator(`[data-session-id="${stale}"]`)
      .getByRole("button", { name: "Revoke" })
      .click();
    await expect.poll(() => admin.locator(`[data-session-id="${stale}"]`).count()).toBe(0);

    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill("wonderland");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${app.url}/devices`);
    const fresh = await currentSessionId(page);
    expect(fresh).not.toBe(stale);
    expect((await sessionCookie(page))?.value.startsWith(`${fresh}.`)).toBe(true);
  });

  it("logs out with a server action and clears the cookie", async () => {
    const page = await newPage();
    await logIn(page);
    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await page.waitForURL(`${app.url}/login`);
    expect(await sessionCookie(page)).toBeUndefined();
    await page.goto(`${app.url}/devices`);
    await page.waitForURL(`${app.url}/login`);
  });
});
