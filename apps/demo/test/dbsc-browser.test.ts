/**
 * Device-bound sessions (DBSC) in a real browser: Debian's Chromium (/usr/bin/chromium, driven by
 * playwright-core) with its DBSC feature switched on and software keys (no TPM here), against the
 * demo served over HTTPS. The browser registers a key at login, the devices page shows the
 * "device-bound" badge, and a thief's copy of both cookies stops working once the short-lived
 * bound cookie runs out, while the real browser renews it with its key.
 *
 * Chromium runs DBSC only on a connection without certificate errors: the demo's self-signed
 * certificate (made here with openssl) is accepted by its public-key pin
 * (`--ignore-certificate-errors-spki-list`), not by `--ignore-certificate-errors`, under which
 * Chromium never registers.
 */
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemo } from "./demo-server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium package`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`\n!!! SKIPPING the demo's DBSC browser test: ${message} !!!\n`);
}

/**
 * Chromium's DBSC switches: the feature itself, and the software keys Chromium offers for manual
 * testing where no TPM exists (without them, nothing registers here).
 */
const DBSC_FEATURES =
  "DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting";

const BOUND_COOKIE_TTL = 10;
const shots = fileURLToPath(new URL("../.tmp/screenshots/", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tessera-dbsc-"));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let demo: DemoServer;
let pin: string;
let victim: BrowserContext;
let thiefBrowser: Browser;

function chromiumArgs(): string[] {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    `--ignore-certificate-errors-spki-list=${pin}`,
  ];
}

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(shots, { recursive: true });
  const cert = join(work, "cert.pem");
  const key = join(work, "key.pem");
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
  ]);
  const spki = new X509Certificate(readFileSync(cert)).publicKey.export({
    type: "spki",
    format: "der",
  });
  pin = createHash("sha256").update(spki).digest("base64");
  demo = await startDemo({
    TLS_CERT: cert,
    TLS_KEY: key,
    TESSERA_DBSC_COOKIE_TTL: String(BOUND_COOKIE_TTL),
    // No rotation during the test: what stops the thief here is DBSC alone.
    TESSERA_ROTATION_INTERVAL: "3600",
    TESSERA_ROTATION_GRACE: "10",
  });
  // A persistent profile, as a person's browser has (an off-the-record one works as well).
  victim = await chromium.launchPersistentContext(join(work, "victim-profile"), {
    executablePath: CHROMIUM,
    args: [...chromiumArgs(), `--enable-features=${DBSC_FEATURES}`],
  });
  thiefBrowser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
});

afterAll(async () => {
  await victim?.close();
  await thiefBrowser?.close();
  await demo?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function signUp(page: Page, username: string, password: string) {
  await page.goto(demo.url);
  await page.fill('form[action="/signup"] input[name=username]', username);
  await page.fill('form[action="/signup"] input[name=password]', password);
  await page.click('form[action="/signup"] button');
  await page.waitForURL("**/account");
}

describe.skipIf(!haveChromium)("device-bound sessions (DBSC) in Chromium", () => {
  it("registers a key at login, shows the badge, and a copied cookie fails at the next refresh", async () => {
    const page = await victim.newPage();
    await signUp(page, "carol", "carol's long password");

    // Chromium registers in the background, right after the login response.
    await expect
      .poll(
        async () => {
          await page.goto(`${demo.url}/devices`);
          return page.locator("tr", { hasText: "this device" }).locator(".tag.bound").count();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(1);
    expect(await page.locator(".tag.bound").textContent()).toBe("device-bound");
    await page.screenshot({ path: `${shots}devices-bound.png`, fullPage: true });
    const cookies = await victim.cookies(demo.url);
    const names = cookies.map((cookie) => cookie.name).sort();
    expect(names).toEqual(["__Host-session", "__Host-tessera-bound"]);

    // The thief copies both cookies into another browser: it works until the bound cookie runs out.
    const thief = await thiefBrowser.newContext();
    await thief.addCookies(cookies);
    const thiefPage = await thief.newPage();
    await thiefPage.goto(`${demo.url}/account`);
    expect(new URL(thiefPage.url()).pathname).toBe("/account");

    await sleep(BOUND_COOKIE_TTL * 1000 + 1500);
    // The thief's browser has no key to renew the bound cookie: the copy is refused.
    await thiefPage.goto(`${demo.url}/account`);
    await thiefPage.waitForURL((url) => url.pathname === "/");
    expect(await thiefPage.locator(".notice.warn").textContent()).toContain(
      "a copy of its cookie does not work anywhere else",
    );
    await thiefPage.screenshot({ path: `${shots}dbsc-thief-refused.png`, fullPage: true });

    // The victim's browser renewed its bound cookie by signing a challenge: it goes on.
    await page.goto(`${demo.url}/account`);
    expect(new URL(page.url()).pathname).toBe("/account");
    const renewed = (await victim.cookies(demo.url)).find((c) => c.name === "__Host-tessera-bound");
    const copied = cookies.find((c) => c.name === "__Host-tessera-bound");
    expect(renewed?.value).toBeDefined();
    expect(renewed?.value).not.toBe(copied?.value);
    await page.goto(`${demo.url}/devices`);
    expect(await page.locator(".tag.bound").count()).toBe(1);
    await thief.close();
  });
});
