/**
 * The `STORE` switch against real servers: the same sign-up, session and revocation flow on
 * Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432), over HTTP.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemo } from "./demo-server.js";

const schema = `tessera_demo_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/test" });
let adminConnected = false;

afterAll(async () => {
  if (adminConnected) {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
});

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
  redirect: "manual" as const,
});

const cases: Array<[string, string, () => Promise<Record<string, string>>]> = [
  ["redis", "Redis (redis://127.0.0.1:6379)", async () => ({ STORE: "redis" })],
  [
    "postgres",
    "PostgreSQL (postgres://postgres@127.0.0.1:5432/test",
    async () => {
      await admin.connect();
      adminConnected = true;
      await admin.query(`CREATE SCHEMA ${schema}`);
      return {
        STORE: "postgres",
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D${schema}`,
      };
    },
  ],
];

describe.each(cases)("demo with STORE=%s", (_name, printed, environment) => {
  let demo: DemoServer | undefined;
  afterAll(async () => {
    await demo?.stop();
  });

  it("keeps sessions there: sign up, see the account, log out everywhere", async () => {
    demo = await startDemo(await environment());
    expect(demo.output()).toContain(`sessions in ${printed}`);
    const username = `u${randomUUID().slice(0, 8)}`;
    const signup = await fetch(
      `${demo.url}/signup`,
      form({ username, password: "a long password" }),
    );
    expect(signup.status).toBe(303);
    const cookie = signup.headers.getSetCookie()[0]!.split(";")[0]!;
    const second = await fetch(
      `${demo.url}/login`,
      form({ username, password: "a long password" }),
    );
    const other = second.headers.getSetCookie()[0]!.split(";")[0]!;

    const account = await fetch(`${demo.url}/account`, { headers: { cookie } });
    expect(await account.text()).toContain(`Signed in as ${username}`);
    const devices = await fetch(`${demo.url}/devices`, { headers: { cookie } });
    expect(await devices.text()).toContain("Your devices (2)");

    await fetch(`${demo.url}/devices/revoke-others`, {
      ...form({}),
      headers: { cookie, "sec-fetch-site": "same-origin" }, // a browser says where it posts from
    });
    const revoked = await fetch(`${demo.url}/account`, {
      headers: { cookie: other },
      redirect: "manual",
    });
    expect(revoked.status).toBe(302);
    const still = await fetch(`${demo.url}/account`, { headers: { cookie } });
    expect(still.status).toBe(200);
  });
});
