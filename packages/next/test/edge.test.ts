import { EdgeVM } from "@edge-runtime/vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * Route handlers may run on the Edge runtime (`export const runtime = "edge"`). `withSession`
 * and the signed verdict use Web APIs only: bundled for the neutral platform (which fails on
 * any Node built-in) they log in, validate and log out inside an edge-runtime VM.
 */
describe("Edge runtime", () => {
  it("runs withSession and the forwarded-verdict check without Node built-ins", async () => {
    const entry = `
      export { createSessions, MemoryStore } from "@tessera/core";
      export { withSession } from "./src/route.ts";
      export { forwardKey, signForwardedSession, readForwardedSession } from "./src/forward.ts";
    `;
    const bundle = await build({
      stdin: { contents: entry, resolveDir: new URL("..", import.meta.url).pathname, loader: "ts" },
      bundle: true,
      write: false,
      format: "iife",
      globalName: "TesseraNext",
      platform: "neutral",
      mainFields: ["module", "main"],
      target: "es2022",
      logLevel: "silent",
    });
    const code = bundle.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:|from ["']node:/);

    const vm = new EdgeVM();
    expect(vm.evaluate("typeof process + typeof Buffer + typeof require")).toBe(
      "undefinedundefinedundefined",
    );
    vm.evaluate(code);
    const outcome = await vm.evaluate(`(async () => {
      const { createSessions, MemoryStore, withSession, forwardKey, signForwardedSession,
        readForwardedSession } = TesseraNext;
      const sessions = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
      const login = withSession(sessions, async (request, tessera) =>
        Response.json({ token: (await tessera.login({ userId: "edge-user" })).token }));
      const me = withSession(sessions, async (request, tessera) =>
        Response.json({ userId: tessera.session.userId }), { require: "session" });
      const post = (headers) => new Request("https://edge.test/api", { method: "POST", headers });
      const loggedIn = await login(post({ host: "edge.test", origin: "https://edge.test" }));
      const { token } = await loggedIn.json();
      const cookie = loggedIn.headers.get("set-cookie").split(";")[0];
      const who = await (await me(new Request("https://edge.test/api", { headers: { cookie } }))).json();
      const anonymous = (await me(new Request("https://edge.test/api"))).status;
      const forged = (await login(post({ host: "edge.test", origin: "https://evil.test" }))).status;
      const key = await forwardKey();
      const verdict = await readForwardedSession(
        await signForwardedSession({ session: null, reason: "expired" }, key), key);
      return JSON.stringify({ token: typeof token, who, anonymous, forged, verdict });
    })()`);
    expect(JSON.parse(outcome)).toEqual({
      token: "string",
      who: { userId: "edge-user" },
      anonymous: 401,
      forged: 403,
      verdict: { status: "verified", session: null, reason: "expired" },
    });
  });
});
