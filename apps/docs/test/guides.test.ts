/**
 * The framework guides' apps, run as the pages show them and driven over real HTTP. Express,
 * Hono, Fastify and Koa build the same app, so one scenario checks all four: the answers must match.
 * (The Next.js guide shows examples/next's own files, which its suite runs in Chromium.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@tessera/test-kit";
import { describe, expect, it, onTestFinished } from "vitest";
import { startServer } from "../../../tests/packed/test/processes.js";
import { codeBlock, docsDir, exampleDir } from "./pages.js";

const PASSWORD = "correct horse battery staple";

describe.each(["express", "hono", "fastify", "koa"])("guide/%s.md", (framework) => {
  it("the app logs in two devices, lists them, changes the password, steps up and logs out", async () => {
    const app = await startServer(
      exampleDir(`guide-${framework}`),
      "app.mjs",
      codeBlock(`guide/${framework}.md`, "app.mjs"),
    );
    onTestFinished(app.stop);
    const laptop = new Client(app.url);
    const phone = new Client(app.url);

    const wrong = await laptop.post("/login", { json: { user: "alice", password: "guess" } });
    expect([wrong.status, wrong.body]).toEqual([401, { error: "invalid-credentials" }]);
    expect(wrong.cookies).toEqual([]);

    const login = await laptop.post("/login", { json: { user: "alice", password: PASSWORD } });
    expect(login.body).toEqual({ user: "alice" });
    expect(login.cookie("__Host-session")).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    await phone.post("/login", { json: { user: "alice", password: PASSWORD } });

    expect((await laptop.get("/me")).body).toEqual({ user: "alice", fresh: true });
    const devices = (await laptop.get("/devices")).body as { current: boolean }[];
    expect(devices).toHaveLength(2);
    expect(devices.filter((device) => device.current)).toHaveLength(1);

    // Fresh right after login: the password changes and the phone is logged out.
    const changed = await laptop.post("/password", { json: { newPassword: "new password" } });
    expect(changed.body).toEqual({ otherSessionsEnded: 1 });
    expect((await phone.get("/me")).status).toBe(401);

    // Step-up with the new password rotates the secret: a new cookie.
    const refused = await laptop.post("/reauthenticate", { json: { password: PASSWORD } });
    expect(refused.status).toBe(401);
    const before = laptop.jar.get("__Host-session");
    const stepUp = await laptop.post("/reauthenticate", { json: { password: "new password" } });
    expect(stepUp.body).toEqual({ fresh: true });
    expect(laptop.jar.get("__Host-session")).not.toBe(before);

    // The CSRF check: a cross-site POST carrying the cookie never reaches the route.
    const crossSite = await laptop.post("/logout", {
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect([crossSite.status, crossSite.body]).toEqual([
      403,
      { error: "cross-site-request", reason: "cross-site" },
    ]);

    expect((await laptop.post("/logout")).body).toEqual({ ok: true });
    expect((await laptop.get("/me")).status).toBe(401);
  });
});

describe.each(["express", "hono", "fastify", "koa"])("guide/%s.md", (framework) => {
  it("creates no session without a login: anonymous requests get 401 and no cookie", async () => {
    const app = await startServer(
      exampleDir(`guide-${framework}-anonymous`),
      "app.mjs",
      codeBlock(`guide/${framework}.md`, "app.mjs"),
    );
    onTestFinished(app.stop);
    const visitor = new Client(app.url);
    for (const path of ["/", "/me", "/devices"]) {
      const answer = await visitor.get(path);
      expect(answer.cookies, path).toEqual([]);
    }
    expect((await visitor.get("/me")).status).toBe(401);
    expect(visitor.jar.size).toBe(0);
  });
});

/** The `sh` block of a page that drives its app with curl, one command per entry. */
function curlSession(page: string): { command: string; expected?: string }[] {
  const markdown = readFileSync(join(docsDir, page), "utf8");
  const block = /^```sh\n(curl -c jar[\s\S]*?)^```$/m.exec(markdown)?.[1];
  if (!block) return [];
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [command, expected] = line.split(/\s+# /);
      return { command: command!, expected };
    });
}

const haveCurl = (() => {
  try {
    return execFileSync("curl", ["--version"], { encoding: "utf8" });
  } catch {
    return "";
  }
})();

describe.runIf(haveCurl).each(["express", "hono", "fastify", "koa"])("guide/%s.md", (framework) => {
  it("prints what the page's curl lines say they print, run with curl against the page's app", async () => {
    const lines = curlSession(`guide/${framework}.md`);
    if (lines.length === 0) return;
    const app = await startServer(
      exampleDir(`guide-${framework}-curl`),
      "app.mjs",
      codeBlock(`guide/${framework}.md`, "app.mjs"),
    );
    onTestFinished(app.stop);
    const port = new URL(app.url).port;
    const cwd = mkdtempSync(join(tmpdir(), "tessera-docs-curl-"));
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    // The page names the major version of the curl it was written with; this machine's may differ.
    const major = /^curl (\d+)/.exec(haveCurl)![1];
    for (const { command, expected } of lines) {
      const output = execFileSync(
        "sh",
        ["-c", `${command.replaceAll("localhost:3000", `localhost:${port}`)} -sS`],
        {
          cwd,
          encoding: "utf8",
        },
      );
      if (!expected) continue;
      // "401 {...}" names the status curl does not print; "..." stands for anything.
      const body = expected.replace(/^\d{3} /, "").replace(/"curl \d+"/, `"curl ${major}"`);
      const pattern = body
        .split("...")
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
      expect(output.trim(), command).toMatch(new RegExp(`^${pattern}$`));
    }
    expect(existsSync(join(cwd, "jar"))).toBe(true);
  });
});

describe("guide/nextjs.md", () => {
  it("includes examples/next's files and its Next.js 15 twin's middleware.ts", () => {
    const page = readFileSync(`${docsDir}guide/nextjs.md`, "utf8");
    const included = [...page.matchAll(/^<<< @\/\.\.\/\.\.\/(examples\/next(?:-15)?\/\S+)/gm)].map(
      (m) => m[1],
    );
    expect(included).toEqual(
      expect.arrayContaining([
        "examples/next/lib/sessions.ts",
        "examples/next/proxy.ts",
        "examples/next-15/middleware.ts",
        "examples/next/lib/auth.ts",
        "examples/next/app/actions.ts",
      ]),
    );
    for (const file of included) {
      expect(() => readFileSync(`${docsDir}../../${file}`), file).not.toThrow();
    }
  });
});

describe.each(["sveltekit", "astro", "react-router"])("guide/%s.md", (framework) => {
  it("shows the files of the package's quick start, which its readme test builds and runs", () => {
    const readme = readFileSync(`${docsDir}../../packages/${framework}/README.md`, "utf8");
    const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## API"));
    const files = [...quickStart.matchAll(/```(?:js|ts|tsx)\n(\/\/ (\S+)\n[\s\S]*?)```/g)];
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const [, code, path] of files) {
      expect(codeBlock(`guide/${framework}.md`, path!), path).toBe(code);
    }
    const page = /```astro\n([\s\S]*?)```/.exec(quickStart)?.[1];
    if (page) expect(codeBlock("guide/astro.md", "src/pages/account.astro")).toBe(page);
  });
});
