/**
 * Over real HTTP: password guessing is rate-limited per account and per IP, sign-ups per IP, a
 * burst of password checks past the hashing bound is refused at once, and the admin is whoever
 * the operator names, never the first account.
 */
import { request as httpRequest } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import {
  type DemoServer,
  makeDataDir,
  removeDataDir,
  runAdminCommand,
  startDemo,
} from "./demo-server.js";

const running: DemoServer[] = [];
const folders: string[] = [];
afterAll(async () => {
  await Promise.all(running.map((server) => server.stop()));
  for (const folder of folders) removeDataDir(folder);
});

async function demoWith(env: Record<string, string>, dataDir?: string): Promise<DemoServer> {
  const server = await startDemo(env, dataDir ? { dataDir } : {});
  running.push(server);
  return server;
}

/** A form POST as the demo's own pages send it (a browser adds its same-origin marker). */
function post(url: string, fields: Record<string, string>, cookie?: string) {
  return fetch(url, {
    method: "POST",
    // As a browser posts a form: it says the request is same-origin.
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "same-origin",
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

function cookieOf(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("__Host-session="));
  if (!cookie) throw new Error(`no session cookie (status ${response.status})`);
  return cookie.split(";")[0]!;
}

async function signUp(demo: DemoServer, username: string, password: string): Promise<string> {
  const response = await post(`${demo.url}/signup`, { username, password });
  expect(response.status).toBe(303);
  return cookieOf(response);
}

describe("demo: attempt limits and the hashing bound", () => {
  it("refuses an account's logins after its failures, even with the right password, and not another account's", async () => {
    const demo = await demoWith({ DEMO_FAILURES_PER_ACCOUNT: "2" });
    await signUp(demo, "victim", "the right password");
    await signUp(demo, "bystander", "another password");
    for (let i = 0; i < 2; i++) {
      const wrong = await post(`${demo.url}/login`, { username: "victim", password: "guess " + i });
      expect(wrong.status).toBe(401);
    }
    const refused = await post(`${demo.url}/login`, {
      username: "victim",
      password: "the right password",
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.text()).toContain("Too many attempts");
    expect(refused.headers.getSetCookie()).toEqual([]);
    const other = await post(`${demo.url}/login`, {
      username: "bystander",
      password: "another password",
    });
    expect(other.status).toBe(303);
  });

  it("limits password attempts per IP across accounts, and sign-ups per IP", async () => {
    const demo = await demoWith({ DEMO_ATTEMPTS_PER_IP: "3", DEMO_SIGNUPS_PER_IP: "2" });
    await signUp(demo, "one", "a long password");
    await signUp(demo, "two", "a long password");
    expect(
      (await post(`${demo.url}/signup`, { username: "three", password: "x".repeat(9) })).status,
    ).toBe(429);
    const statuses: number[] = [];
    for (const username of ["one", "two", "nobody", "one"]) {
      statuses.push(
        (await post(`${demo.url}/login`, { username, password: "wrong guess" })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it("limits failed step-up checks per account", async () => {
    const demo = await demoWith({ DEMO_FAILURES_PER_ACCOUNT: "2" });
    const cookie = await signUp(demo, "stepper", "the right password");
    for (let i = 0; i < 2; i++) {
      const wrong = await post(`${demo.url}/security/confirm`, { password: `guess ${i}` }, cookie);
      expect(wrong.status).toBe(401);
    }
    const refused = await post(
      `${demo.url}/security/confirm`,
      { password: "the right password" },
      cookie,
    );
    expect(refused.status).toBe(429);
  });

  it("answers 503 at once to password checks beyond the hashing bound, and still serves the rest", async () => {
    const demo = await demoWith({ DEMO_HASH_CONCURRENCY: "1", DEMO_HASH_QUEUE: "0" });
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        post(`${demo.url}/login`, { username: `nobody${i}`, password: "a wrong password" }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toContain(401);
    expect(statuses).toContain(503);
    for (const busy of responses.filter((r) => r.status === 503)) {
      expect(busy.headers.get("retry-after")).toBe("1");
      expect(await busy.text()).toContain("The server is busy");
    }
  });
});

/** A form POST from another loopback address (127.0.0.2): another client, as the demo sees it. */
function postFrom(
  localAddress: string,
  url: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: "POST",
        localAddress,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(body),
          "sec-fetch-site": "same-origin",
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

describe("demo: the hashing bound is fair per address", () => {
  it("seven concurrent logins from one address do not fill the hashing places for everyone", async () => {
    const demo = await demoWith({ DEMO_HASH_CONCURRENCY: "1", DEMO_HASH_QUEUE: "4" });
    await signUp(demo, "owner", "the owner's password");
    const burst = Array.from({ length: 7 }, (_, i) =>
      post(`${demo.url}/login`, { username: `nobody${i}`, password: "a wrong password" }),
    );
    // The burst's address holds two places (DEMO_HASH_PER_ADDRESS): five are refused at once,
    // while its two hashes still run.
    let refusedAtOnce = 0;
    await new Promise<void>((resolve) => {
      for (const pending of burst) {
        void pending.then((response) => {
          if (response.status === 503 && ++refusedAtOnce === 5) resolve();
        });
      }
    });
    const owner = await postFrom(
      "127.0.0.2",
      `${demo.url.replace("localhost", "127.0.0.1")}/login`,
      {
        username: "owner",
        password: "the owner's password",
      },
    );
    expect(owner.status).toBe(303);
    const statuses = (await Promise.all(burst)).map((response) => response.status).sort();
    expect(statuses).toEqual([401, 401, 503, 503, 503, 503, 503]);
  });
});

describe("demo: the admin is an explicit bootstrap", () => {
  it("never makes the first account admin; the admin command names one", async () => {
    const dataDir = makeDataDir();
    folders.push(dataDir);
    const first = await demoWith({}, dataDir);
    const cookie = await signUp(first, "earliest", "a long password");
    const denied = await fetch(`${first.url}/admin/events`, { headers: { cookie } });
    expect(denied.status).toBe(403);
    await first.stop();

    const missing = await runAdminCommand(dataDir, "nobody");
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("no account named nobody");
    const promoted = await runAdminCommand(dataDir, "earliest");
    expect(promoted.code).toBe(0);
    expect(promoted.output).toContain("earliest is now the admin");

    const again = await demoWith({ DEMO_ADMIN: "someone-else" }, dataDir);
    expect(again.output()).toContain("DEMO_ADMIN=someone-else, but no such account");
    const login = await post(`${again.url}/login`, {
      username: "earliest",
      password: "a long password",
    });
    const events = await fetch(`${again.url}/admin/events`, {
      headers: { cookie: cookieOf(login) },
    });
    expect(events.status).toBe(200);
    // Signing up as the name DEMO_ADMIN gives does not make anyone admin.
    const squatter = await signUp(again, "someone-else", "a long password");
    expect(
      (await fetch(`${again.url}/admin/events`, { headers: { cookie: squatter } })).status,
    ).toBe(403);
  });
});
