import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runInEdgeRuntime } from "@tessera/edge-test-kit";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

/**
 * @tessera/hono must run wherever Hono runs. The built package is bundled with hono and core for
 * the "neutral" platform (which fails on any Node built-in) and serves requests through
 * `app.fetch` inside an edge-runtime VM: Web APIs only, no `process`, `Buffer` or `require`.
 */
describe("runtime neutrality", () => {
  it("ships no Node built-in in its build", () => {
    for (const file of ["dist/index.js", "dist/index.cjs"]) {
      const code = readFileSync(`${here}${file}`, "utf8");
      expect(code, file).not.toMatch(/["'](node:)?(http|https|net|crypto|buffer|fs|path|os)["']/);
      expect(code, file).not.toMatch(/\bprocess\.|\bBuffer\b/);
    }
  });

  it("logs in, checks and refuses requests through app.fetch inside an edge VM", async () => {
    const outcome = await runInEdgeRuntime({
      entry: {
        contents: `
          export { Hono } from "hono";
          export { createSessions, MemoryStore } from "@tessera/core";
          export { tessera, login, logout, requireSession } from "./dist/index.js";
        `,
        resolveDir: here,
        loader: "js",
      },
      globalName: "Edge",
      script: `
        const { Hono, createSessions, MemoryStore, tessera, login, logout, requireSession } = Edge;
        const sessions = createSessions({ store: new MemoryStore() });
        const app = new Hono();
        app.use(tessera(sessions));
        app.post("/login", async (c) => c.json({ user: (await login(c, "edge-user")).session.userId }));
        app.get("/me", requireSession(), (c) => c.json({ user: c.var.session.userId }));
        app.post("/logout", async (c) => c.json({ ended: await logout(c) }));
        const site = "https://edge.example";
        const post = (path, headers) => new Request(site + path, { method: "POST", headers });
        const loggedIn = await app.fetch(post("/login", { origin: site }));
        const setCookie = loggedIn.headers.get("set-cookie");
        const cookie = setCookie.split(";")[0];
        const me = await app.fetch(new Request(site + "/me", { headers: { cookie } }));
        const crossSite = await app.fetch(
          post("/logout", { cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" }),
        );
        const loggedOut = await app.fetch(post("/logout", { cookie, "sec-fetch-site": "same-origin" }));
        const after = await app.fetch(new Request(site + "/me", { headers: { cookie } }));
        return {
          login: [loggedIn.status, await loggedIn.json(), /^__Host-session=.+; Secure; SameSite=Lax$/.test(setCookie)],
          me: [me.status, await me.json()],
          crossSite: crossSite.status,
          logout: [loggedOut.status, await loggedOut.json()],
          after: [after.status, await after.json()],
        };
      `,
    });
    expect(outcome).toEqual({
      login: [200, { user: "edge-user" }, true],
      me: [200, { user: "edge-user" }],
      crossSite: 403,
      logout: [200, { ended: true }],
      after: [401, { error: "unauthenticated", reason: "not-found" }],
    });
  });
});
