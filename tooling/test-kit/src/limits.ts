/**
 * The login throttle over real HTTP: the same app contract on every framework, so the 429 is
 * the same everywhere, byte for byte. A framework's test serves one route with
 * `createLoginThrottle()` (defaults) behind its integration with `trustedProxies: 1`:
 *
 *   POST /login  body { user, password }: attempt = { account: user, address: the gate's
 *                client address }; `check` (its 429 written as is), then password "right"
 *                → `succeeded`, `login(user)`, 200 `{ user }`; else `failed`, 401 `{ error: "wrong-password" }`
 */
import { expect } from "vitest";
import { type Answer, Client } from "./http.js";

/** The route the login-throttle check drives. */
export const THROTTLED_LOGIN_ROUTE = "POST /login" as const;

/**
 * Five wrong passwords for one account from one address lock that pair (429 with Retry-After,
 * even for the right password), while the owner, from another address, logs in. Resolves the
 * 429 answer, for comparing integrations.
 */
export async function checkLoginThrottle(url: string): Promise<Answer> {
  const client = new Client(url);
  const from = (ip: string) => ({ "x-forwarded-for": ip, "sec-fetch-site": "same-origin" });
  const attacker = from("198.51.100.66");
  for (let i = 0; i < 5; i++) {
    const wrong = await client.post("/login", {
      json: { user: "alice", password: `guess-${i}` },
      headers: attacker,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: "wrong-password" });
  }
  const locked = await client.post("/login", {
    json: { user: "alice", password: "right" },
    headers: attacker,
  });
  expect(locked.status).toBe(429);
  expect(locked.body).toEqual({ error: "too-many-requests" });
  expect(locked.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(locked.headers.get("cache-control")).toBe("no-store");
  expect(locked.headers.get("retry-after")).toMatch(/^(89\d|900)$/);
  expect(locked.cookies).toEqual([]);
  // The attacker's failures never lock the account's owner out from elsewhere.
  const owner = await client.post("/login", {
    json: { user: "alice", password: "right" },
    headers: from("203.0.113.5"),
  });
  expect(owner.status).toBe(200);
  expect(owner.body).toEqual({ user: "alice" });
  // Nor does the lock of the pair reach another account from the attacker's address.
  const other = await client.post("/login", {
    json: { user: "bob", password: "right" },
    headers: attacker,
  });
  expect(other.status).toBe(200);
  return locked;
}
