import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type RunningServer, startWorker } from "@tessera/edge-test-kit";
import { afterAll, describe, expect, it } from "vitest";

const here = new URL("..", import.meta.url);
let worker: RunningServer | undefined;
afterAll(() => worker?.stop());

function sessionCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("__Host-session="));
  expect(cookie).toBeDefined();
  return cookie!.split(";")[0]!;
}

describe("README", () => {
  it("example Worker runs as pasted in workerd with its Durable Object binding", async () => {
    const readme = readFileSync(new URL("README.md", here), "utf8");
    const example = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const config = /```jsonc\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("new DurableObjectStore({ namespace: env.SESSIONS })");
    // The binding the README's wrangler.jsonc declares is the one the Worker is given.
    expect(config).toContain('{ "name": "SESSIONS", "class_name": "SessionDurableObject" }');
    mkdirSync(new URL(".tmp/", here), { recursive: true });
    const entry = new URL(".tmp/readme-worker.ts", here);
    // Inside the package, `import "@tessera/cloudflare"` resolves to the package itself.
    writeFileSync(entry, example!);
    worker = await startWorker({ entry, durableObjects: { SESSIONS: "SessionDurableObject" } });

    const login = (user: string) =>
      fetch(`${worker!.url}/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user }),
      });
    const laptop = await login("alice");
    expect(await laptop.json()).toEqual({ user: "alice" });
    const phone = await login("alice");
    const [laptopCookie, phoneCookie] = [sessionCookie(laptop), sessionCookie(phone)];
    const me = (cookie: string) => fetch(`${worker!.url}/me`, { headers: { cookie } });
    expect(await (await me(laptopCookie)).json()).toEqual({ user: "alice" });
    const out = await fetch(`${worker!.url}/logout-everywhere`, {
      method: "POST",
      headers: { cookie: laptopCookie, "sec-fetch-site": "same-origin" }, // as a browser sends
    });
    expect(await out.json()).toEqual({ ended: 2 });
    expect((await me(laptopCookie)).status).toBe(401);
    expect((await me(phoneCookie)).status).toBe(401);
  });
});
