/**
 * examples/nuxt as `npm start` runs it (`nuxt build`, then the production server): the example
 * conversation every example passes, then what this app adds: revoking one device (a fresh
 * session only) and the step-up, over HTTP against the built server.
 */
import { fileURLToPath } from "node:url";
import {
  type RunningServer,
  runExampleSuite,
  scriptPath,
  startProcess,
  startScript,
} from "@tessera/edge-test-kit";
import { Client, freePort } from "@tessera/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = new URL("..", import.meta.url);
const listening = /Listening on (http:\/\/127\.0\.0\.1:\d+)/;

async function serve(command: string): Promise<RunningServer> {
  return startProcess({
    command: "sh",
    args: ["-c", command],
    cwd: here,
    env: {
      PATH: scriptPath(here),
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      ROTATION_INTERVAL: "0",
      NO_COLOR: "1",
    },
    ready: listening,
    timeout: 170_000,
  });
}

runExampleSuite("examples/nuxt (nuxt build, node .output/server/index.mjs)", () =>
  serve(startScript(here)),
);

describe("examples/nuxt: revoking a device and stepping up", () => {
  let server: RunningServer;
  // The build the start script made above; only the server this time.
  beforeAll(async () => {
    server = await serve(`node ${fileURLToPath(new URL(".output/server/index.mjs", here))}`);
  });
  afterAll(() => server?.stop());

  it("revokes the phone from the laptop, then steps up to a new cookie", async () => {
    const laptop = new Client(server.url);
    const phone = new Client(server.url);
    await laptop.post("/login", { json: { user: "ada" } });
    await phone.post("/login", { json: { user: "ada" } });
    const devices = (await laptop.get("/devices")).body as { id: string; current: boolean }[];
    expect(devices).toHaveLength(2);
    const other = devices.find((device) => !device.current)!;

    const revoked = await laptop.request("DELETE", `/devices/${other.id}`);
    expect(revoked.body).toEqual({ revoked: true });
    expect((await phone.get("/me")).status).toBe(401);
    expect((await laptop.get("/devices")).body).toHaveLength(1);
    expect((await laptop.request("DELETE", "/devices/not-mine")).status).toBe(404);

    const before = laptop.jar.get("__Host-session");
    const stepUp = await laptop.post("/step-up");
    expect(stepUp.body).toEqual({ fresh: true });
    expect(laptop.jar.get("__Host-session")).not.toBe(before);
    expect((await laptop.get("/me")).body).toEqual({ user: "ada", fresh: true });

    // A cross-site request carrying the cookie never reaches the route.
    const crossSite = await laptop.request("DELETE", `/devices/${devices[0]!.id}`, {
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
  });

  it("serves the page", async () => {
    const page = await new Client(server.url).get("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Tessera on Nuxt");
  });
});
