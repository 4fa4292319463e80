/**
 * The HTTP conversation every example app (examples/hono-*) must hold: login, an authenticated
 * route, rotation, the device list and log out everywhere. The examples are started with their
 * own `start` script and rotate on every request (`ROTATION_INTERVAL=0`), so rotation shows on
 * each authenticated answer.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "./runtimes.js";

/** The `start` script of the package in `dir`: the one command its README shows. */
export function startScript(dir: URL): string {
  const manifest = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
    scripts?: { start?: string };
  };
  if (!manifest.scripts?.start) throw new Error(`${fileURLToPath(dir)} has no start script`);
  return manifest.scripts.start;
}

/** `PATH` with the package's own `node_modules/.bin` first, as `npm start` has it. */
export function scriptPath(dir: URL): string {
  return `${fileURLToPath(new URL("node_modules/.bin", dir))}:${process.env.PATH ?? ""}`;
}

function sessionCookie(response: Response): string | null {
  const header = response.headers.getSetCookie().find((c) => c.includes("session="));
  return header ? header.split(";")[0]! : null;
}

/** Registers the example conversation against the server `start` starts. */
export function runExampleSuite(name: string, start: () => Promise<RunningServer>): void {
  describe(`${name}, started with its start script`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(() => server?.stop());

    const get = (path: string, cookie?: string) =>
      fetch(server.url + path, { headers: cookie ? { cookie } : {} });
    const post = (path: string, body: unknown, cookie?: string) =>
      fetch(server.url + path, {
        method: "POST",
        // As a browser does: an unsafe request carrying the session cookie says where it is from.
        headers: {
          "content-type": "application/json",
          "sec-fetch-site": "same-origin",
          ...(cookie ? { cookie } : {}),
        },
        body: JSON.stringify(body),
      });
    async function login(user: string): Promise<string> {
      const response = await post("/login", { user });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ user });
      const cookie = sessionCookie(response);
      expect(cookie).toMatch(/^__Host-session=/);
      return cookie!;
    }
    /** GET `path` with `cookie`; resolves the status, the body and the rotated cookie. */
    async function visit(path: string, cookie: string) {
      const response = await get(path, cookie);
      return {
        status: response.status,
        body: (await response.json()) as unknown,
        next: sessionCookie(response),
      };
    }

    it("refuses the authenticated route without a session", async () => {
      const response = await get("/me");
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "unauthenticated" });
    });

    it("logs in and serves the authenticated route, rotating the cookie on each request", async () => {
      const first = await login("ada");
      const one = await visit("/me", first);
      expect(one).toMatchObject({ status: 200, body: { user: "ada" } });
      expect(one.next).not.toBeNull();
      expect(one.next).not.toBe(first);
      const two = await visit("/me", one.next!);
      expect(two).toMatchObject({ status: 200, body: { user: "ada" } });
      expect(two.next).not.toBe(one.next);
    });

    it("lists the user's devices and logs out everywhere", async () => {
      let laptop = await login("grace");
      const phone = await login("grace");
      const devices = await visit("/devices", laptop);
      expect(devices.status).toBe(200);
      const list = devices.body as { current: boolean }[];
      expect(list).toHaveLength(2);
      expect(list.filter((d) => d.current)).toHaveLength(1);
      laptop = devices.next ?? laptop;

      const out = await post("/logout-everywhere", {}, laptop);
      expect(out.status).toBe(200);
      expect(await out.json()).toEqual({ ended: 2 });
      expect((await get("/me", laptop)).status).toBe(401);
      expect((await get("/me", phone)).status).toBe(401);
    });

    it("logs out one session and leaves the user's others alone", async () => {
      const laptop = await login("linus");
      const phone = await login("linus");
      const out = await post("/logout", {}, laptop);
      expect(out.status).toBe(200);
      expect(await out.json()).toEqual({ ended: true });
      expect((await get("/me", laptop)).status).toBe(401);
      expect((await get("/me", phone)).status).toBe(200);
    });
  });
}
