import { runInEdgeRuntime } from "@tessera/edge-test-kit";
import { describe, expect, it } from "vitest";

/**
 * Route handlers may run on the Edge runtime (`export const runtime = "edge"`). `withSession`
 * and the signed verdict use Web APIs only: bundled for the neutral platform (which fails on
 * any Node built-in) they log in, validate and log out inside an edge-runtime VM.
 */
describe("Edge runtime", () => {
  it("runs withSession and the forwarded-verdict check without Node built-ins", async () => {
    const outcome = await runInEdgeRuntime({
      entry: {
        contents: `
          export { createSessions, MemoryStore } from "@tessera/core";
          export { withSession } from "./src/route.ts";
          export { forwardKey, signForwardedSession, readForwardedSession } from "./src/forward.ts";
        `,
        resolveDir: new URL("..", import.meta.url).pathname,
        loader: "ts",
      },
      globalName: "TesseraNext",
      script: `
        const { createSessions, MemoryStore, withSession, forwardKey, signForwardedSession,
          readForwardedSession } = TesseraNext;
        const sessions = createSessions({ store: new MemoryStore(), cookie: { secure: false } });
        const login = withSession(sessions, async (request, tessera) =>
          Response.json({ token: (await tessera.login("edge-user")).token }));
        const me = withSession(sessions, async (request, tessera) =>
          Response.json({ userId: tessera.session.userId }), { require: "session" });
        const post = (headers) => new Request("https://edge.test/api", { method: "POST", headers });
        const loggedIn = await login(post({ host: "edge.test", "sec-fetch-site": "same-origin" }));
        const { token } = await loggedIn.json();
        const cookie = loggedIn.headers.get("set-cookie").split(";")[0];
        const who = await (await me(new Request("https://edge.test/api", { headers: { cookie } }))).json();
        const anonymous = (await me(new Request("https://edge.test/api"))).status;
        // Next.js shows no TLS flag: an https Origin is not taken as the app's own from request.url.
        const forged = (await login(post({ host: "edge.test", origin: "https://edge.test" }))).status;
        const key = await forwardKey();
        const verdict = await readForwardedSession(
          await signForwardedSession({ session: null, reason: "expired", token: null, source: "cookie", issued: true }, key), key);
        return { token: typeof token, who, anonymous, forged, verdict };
      `,
    });
    expect(outcome).toEqual({
      token: "string",
      who: { userId: "edge-user" },
      anonymous: 401,
      forged: 403,
      verdict: {
        status: "verified",
        session: null,
        reason: "expired",
        token: null,
        source: "cookie",
        issued: true,
        guest: null,
      },
    });
  });
});
